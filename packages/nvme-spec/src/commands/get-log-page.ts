import { checkU32, checkU64, U16_MAX, U32_MAX } from "../bits.js";
import { dwordCodec, type Fields, flag, uint } from "../layout.js";
import { AdminOpcode } from "../opcodes.js";
import type { SubmissionQueueEntry } from "../queue/sqe.js";
import type { CommandCommon, DataPointer, ParsedCommon } from "./common.js";
import { commandSqe, parsedCommon, prpDwords } from "./common.js";
import { UUID_INDEX_CDW14_LAYOUT } from "./identify-command.js";

/** Get Log Page CDW10 (Base 2.1 §5.1.12, Fig. 197). */
export const GET_LOG_PAGE_CDW10_LAYOUT = Object.freeze({
  /** bits 7:0 LID: log page identifier, see LogPageId */
  lid: uint(7, 0),
  /** bits 14:8 LSP: log specific parameter (for LID 15h: bit 8 = BPID, 14:9 reserved) */
  lsp: uint(14, 8),
  /** bit 15 RAE: retain asynchronous event */
  rae: flag(15),
  /** bits 31:16 NUMDL: low 16 bits of NUMD, the 0's based dword count */
  numdl: uint(31, 16),
});
export const getLogPageCdw10Codec = dwordCodec("Get Log Page.CDW10", GET_LOG_PAGE_CDW10_LAYOUT);

/** Get Log Page CDW11 (§5.1.12, Fig. 198). */
export const GET_LOG_PAGE_CDW11_LAYOUT = Object.freeze({
  /** bits 15:0 NUMDU: high 16 bits of NUMD (needs Identify LPA.LPEDS) */
  numdu: uint(15, 0),
  /** bits 31:16 LSI: log specific identifier */
  lsi: uint(31, 16),
});
export const getLogPageCdw11Codec = dwordCodec("Get Log Page.CDW11", GET_LOG_PAGE_CDW11_LAYOUT);

/** Get Log Page CDW14 (§5.1.12, Fig. 201). CDW12 = LPOL and CDW13 = LPOU, the byte offset. */
export const GET_LOG_PAGE_CDW14_LAYOUT = Object.freeze({
  /** bits 6:0 UIDX: UUID index, the same field as in Identify and Get/Set Features */
  ...UUID_INDEX_CDW14_LAYOUT,
  /** bit 23 OT: offset type, 0 = LPO is a byte offset, 1 = an index into the log's entries */
  ot: flag(23),
  /** bits 31:24 CSI: command set identifier */
  csi: uint(31, 24),
});
export const getLogPageCdw14Codec = dwordCodec("Get Log Page.CDW14", GET_LOG_PAGE_CDW14_LAYOUT);

/** Bits per NUMDL / NUMDU half of NUMD. */
const NUMD_HALF_BITS = 16;
const LPO_HALF_BITS = 32n;

export type GetLogPageCommand = Omit<Fields<typeof GET_LOG_PAGE_CDW10_LAYOUT>, "numdl"> &
  Omit<Fields<typeof GET_LOG_PAGE_CDW11_LAYOUT>, "numdu"> &
  Fields<typeof GET_LOG_PAGE_CDW14_LAYOUT> & {
    /** NUMDU:NUMDL, total dwords to return, 0's based (32 bits) */
    numd: number;
    /** LPOU:LPOL, log page offset (bytes when OT=0; the controller checks dword alignment, MC-50) */
    lpo: bigint;
  };

export type GetLogPageOptions = CommandCommon &
  DataPointer & {
    lid: number;
    lsp?: number;
    rae?: boolean;
    numd: number;
    lpo?: bigint;
    lsi?: number;
    csi?: number;
    ot?: boolean;
    uuidIndex?: number;
    nsid?: number;
  };

export function buildGetLogPage(options: GetLogPageOptions): SubmissionQueueEntry {
  const numd = checkU32("Get Log Page.NUMD", options.numd);
  const lpo = checkU64("Get Log Page.LPO", options.lpo ?? 0n);
  return commandSqe(AdminOpcode.GetLogPage, options, {
    nsid: options.nsid ?? 0,
    ...prpDwords(options),
    cdw10: getLogPageCdw10Codec.encode({
      lid: options.lid,
      lsp: options.lsp ?? 0,
      rae: options.rae ?? false,
      numdl: numd & U16_MAX,
    }),
    cdw11: getLogPageCdw11Codec.encode({ numdu: numd >>> NUMD_HALF_BITS, lsi: options.lsi ?? 0 }),
    cdw12: Number(lpo & BigInt(U32_MAX)),
    cdw13: Number(lpo >> LPO_HALF_BITS),
    cdw14: getLogPageCdw14Codec.encode({
      uuidIndex: options.uuidIndex ?? 0,
      ot: options.ot ?? false,
      csi: options.csi ?? 0,
    }),
  });
}

export function parseGetLogPage(sqe: SubmissionQueueEntry): GetLogPageCommand & ParsedCommon {
  const cdw10 = getLogPageCdw10Codec.decode(sqe.cdw10);
  const cdw11 = getLogPageCdw11Codec.decode(sqe.cdw11);
  const out = Object.assign(parsedCommon(sqe), {
    lid: cdw10.lid,
    lsp: cdw10.lsp,
    rae: cdw10.rae,
    lsi: cdw11.lsi,
    numd: cdw11.numdu * 2 ** NUMD_HALF_BITS + cdw10.numdl,
    lpo: (BigInt(sqe.cdw13) << LPO_HALF_BITS) | BigInt(sqe.cdw12),
  });
  return getLogPageCdw14Codec.decodeInto(sqe.cdw14, out);
}

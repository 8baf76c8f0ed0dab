import { dwordCodec, type Fields, uint } from "../layout.js";
import { AdminOpcode } from "../opcodes.js";
import type { SubmissionQueueEntry } from "../queue/sqe.js";
import type { CommandCommon, DataPointer, ParsedCommon } from "./common.js";
import { commandSqe, parsedCommon, prpDwords } from "./common.js";

/** Identify CDW10 (Base 2.1 §5.1.13, Fig. 307). */
export const IDENTIFY_CDW10_LAYOUT = Object.freeze({
  /** bits 7:0 CNS: which data structure to return, see Cns */
  cns: uint(7, 0),
  /** bits 31:16 CNTID: controller identifier, for CNS 12h/13h */
  cntid: uint(31, 16),
});
export const identifyCdw10Codec = dwordCodec("Identify.CDW10", IDENTIFY_CDW10_LAYOUT);

/** Identify CDW11 (§5.1.13, Fig. 308). */
export const IDENTIFY_CDW11_LAYOUT = Object.freeze({
  /** bits 15:0 CNSSID: CNS specific identifier (NVM Set / Endurance Group / domain) */
  cnssid: uint(15, 0),
  /** bits 31:24 CSI: command set identifier, for CNS 05h-08h, 1Ah-1Bh */
  csi: uint(31, 24),
});
export const identifyCdw11Codec = dwordCodec("Identify.CDW11", IDENTIFY_CDW11_LAYOUT);

/** CDW14 of Identify, Get/Set Features and Get Log Page: the UUID index (§5.1.13, Fig. 309). */
export const UUID_INDEX_CDW14_LAYOUT = Object.freeze({
  /** bits 6:0 UIDX: UUID index, 0 = no UUID selected */
  uuidIndex: uint(6, 0),
});
export const uuidIndexCdw14Codec = dwordCodec("CDW14", UUID_INDEX_CDW14_LAYOUT);

export type IdentifyCommand = Fields<typeof IDENTIFY_CDW10_LAYOUT> &
  Fields<typeof IDENTIFY_CDW11_LAYOUT> &
  Fields<typeof UUID_INDEX_CDW14_LAYOUT>;

export function buildIdentify(
  options: CommandCommon & DataPointer & Partial<IdentifyCommand> & { cns: number; nsid?: number },
): SubmissionQueueEntry {
  return commandSqe(AdminOpcode.Identify, options, {
    nsid: options.nsid ?? 0,
    ...prpDwords(options),
    cdw10: identifyCdw10Codec.encode({ cns: options.cns, cntid: options.cntid ?? 0 }),
    cdw11: identifyCdw11Codec.encode({ cnssid: options.cnssid ?? 0, csi: options.csi ?? 0 }),
    cdw14: uuidIndexCdw14Codec.encode({ uuidIndex: options.uuidIndex ?? 0 }),
  });
}

export function parseIdentify(sqe: SubmissionQueueEntry): IdentifyCommand & ParsedCommon {
  const out = identifyCdw10Codec.decodeInto(sqe.cdw10, parsedCommon(sqe));
  return uuidIndexCdw14Codec.decodeInto(sqe.cdw14, identifyCdw11Codec.decodeInto(sqe.cdw11, out));
}

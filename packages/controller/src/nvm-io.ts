import { NSID_BROADCAST, NvmOpcode, Status, type SubmissionQueueEntry } from "@bplab/nvme-spec";
import { type CommandContext, checkTransferSize, receiveFromHost, sendToHost } from "./command-context.js";
import type { NamespaceStore } from "./ports.js";
import { type CommandResult, failure, invalidOpcode, success } from "./status.js";

/**
 * NVM command set I/O on the single namespace (NSID 1): Read, Write, Flush, Write Zeroes and
 * Dataset Management (NVM Command Set spec §3). Enough for an OS driver to bind and use it.
 */

/** The one namespace this controller exposes. */
export const NAMESPACE_ID = 1;

/**
 * Identify Controller NN, the largest valid NSID: QEMU's NVME_MAX_NAMESPACES, so NSID validity
 * (1..NN valid, NSID 1 the only active one) is the same on both targets (MC-62).
 */
export const MAX_NAMESPACES = 256;

/** NN as Identify reports it: 0 when the controller was built without a namespace store. */
export function namespaceCount(ctx: Pick<CommandContext, "namespace">): number {
  return ctx.namespace ? MAX_NAMESPACES : 0;
}

// TODO(nvme-spec): move these NVM command field layouts into @bplab/nvme-spec.
/** CDW12 bits 15:0 NLB: number of logical blocks, 0's based (Read, Write, Write Zeroes). */
const NLB_MASK = 0xffff;
/** Dataset Management CDW10 bits 7:0 NR: number of ranges, 0's based. */
const DSM_NR_MASK = 0xff;
/** Dataset Management CDW11 bit 2 AD: deallocate the ranges. */
const DSM_ATTRIBUTE_DEALLOCATE = 1 << 2;
/** One Dataset Management range: context attributes (4), length in LBAs (4), starting LBA (8). */
const DSM_RANGE_BYTES = 16;
const DSM_RANGE_LENGTH_OFFSET = 4;
const DSM_RANGE_SLBA_OFFSET = 8;
const DWORD_BITS = 32;

export function executeNvmCommand(ctx: CommandContext, sqe: SubmissionQueueEntry): CommandResult {
  if (sqe.opcode === NvmOpcode.Flush) return flush(ctx, sqe);
  const handler = HANDLERS.get(sqe.opcode);
  if (!handler) return invalidOpcode(sqe.opcode, false);
  const namespace = ctx.namespace;
  if (!namespace || sqe.nsid !== NAMESPACE_ID) {
    return failure(Status.InvalidNamespaceOrFormat, `NSID=${sqe.nsid} is not an active namespace`);
  }
  return handler(ctx, sqe, namespace);
}

type IoHandler = (ctx: CommandContext, sqe: SubmissionQueueEntry, namespace: NamespaceStore) => CommandResult;

const HANDLERS: ReadonlyMap<number, IoHandler> = new Map<number, IoHandler>([
  [NvmOpcode.Read, read],
  [NvmOpcode.Write, write],
  [NvmOpcode.WriteZeroes, writeZeroes],
  [NvmOpcode.DatasetManagement, datasetManagement],
]);

/** The NVM opcodes this controller implements, for the Commands Supported and Effects log. */
export const SUPPORTED_NVM_OPCODES: readonly number[] = Object.freeze([NvmOpcode.Flush, ...HANDLERS.keys()]);
/** Of those, the ones that change LBA contents (the LBCC effect). */
export const LBA_CHANGING_NVM_OPCODES: readonly number[] = Object.freeze([
  NvmOpcode.Write,
  NvmOpcode.WriteZeroes,
  NvmOpcode.DatasetManagement,
]);

interface LbaRange {
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

/** SLBA (CDW11:CDW10) and NLB+1 blocks, checked against the namespace size. */
function lbaRange(
  ctx: CommandContext,
  namespace: NamespaceStore,
  sqe: SubmissionQueueEntry,
): LbaRange | CommandResult {
  const slba = sqe.cdw11 * 2 ** DWORD_BITS + sqe.cdw10;
  const blocks = (sqe.cdw12 & NLB_MASK) + 1;
  return checkedRange(ctx, namespace, slba, blocks);
}

function checkedRange(
  ctx: CommandContext,
  namespace: NamespaceStore,
  slba: number,
  blocks: number,
): LbaRange | CommandResult {
  const lbaSize = ctx.config.lbaSizeBytes;
  const capacityBlocks = namespace.sizeBytes / lbaSize;
  if (slba + blocks > capacityBlocks) {
    return failure(
      Status.LbaOutOfRange,
      `LBAs ${slba}+${blocks} pass the namespace end (${capacityBlocks} blocks)`,
    );
  }
  return { offsetBytes: slba * lbaSize, lengthBytes: blocks * lbaSize };
}

function isRange(value: LbaRange | CommandResult): value is LbaRange {
  return "offsetBytes" in value;
}

function read(ctx: CommandContext, sqe: SubmissionQueueEntry, namespace: NamespaceStore): CommandResult {
  const range = lbaRange(ctx, namespace, sqe);
  if (!isRange(range)) return range;
  const tooLarge = checkTransferSize(ctx, range.lengthBytes);
  if (tooLarge) return tooLarge;
  const data = new Uint8Array(range.lengthBytes);
  namespace.read(range.offsetBytes, data);
  const failed = sendToHost(ctx, sqe, data);
  if (failed) return failed;
  ctx.statistics.bytesRead += range.lengthBytes;
  ctx.statistics.hostReadCommands += 1;
  return success();
}

function write(ctx: CommandContext, sqe: SubmissionQueueEntry, namespace: NamespaceStore): CommandResult {
  const range = lbaRange(ctx, namespace, sqe);
  if (!isRange(range)) return range;
  const tooLarge = checkTransferSize(ctx, range.lengthBytes);
  if (tooLarge) return tooLarge;
  const received = receiveFromHost(ctx, sqe, range.lengthBytes);
  if (!received.ok) return received.result;
  namespace.write(range.offsetBytes, received.data);
  ctx.statistics.bytesWritten += range.lengthBytes;
  ctx.statistics.hostWriteCommands += 1;
  return success();
}

function writeZeroes(
  ctx: CommandContext,
  sqe: SubmissionQueueEntry,
  namespace: NamespaceStore,
): CommandResult {
  const range = lbaRange(ctx, namespace, sqe);
  if (!isRange(range)) return range;
  namespace.writeZeroes(range.offsetBytes, range.lengthBytes);
  return success();
}

/** Deallocated blocks read back as zeroes (Identify Namespace DLFEAT = 001b), so AD zeroes them. */
function datasetManagement(
  ctx: CommandContext,
  sqe: SubmissionQueueEntry,
  namespace: NamespaceStore,
): CommandResult {
  const rangeCount = (sqe.cdw10 & DSM_NR_MASK) + 1;
  const received = receiveFromHost(ctx, sqe, rangeCount * DSM_RANGE_BYTES);
  if (!received.ok) return received.result;
  if ((sqe.cdw11 & DSM_ATTRIBUTE_DEALLOCATE) === 0) return success();
  const view = new DataView(received.data.buffer, received.data.byteOffset, received.data.byteLength);
  const ranges: LbaRange[] = [];
  for (let index = 0; index < rangeCount; index++) {
    const base = index * DSM_RANGE_BYTES;
    const blocks = view.getUint32(base + DSM_RANGE_LENGTH_OFFSET, true);
    const slba = Number(view.getBigUint64(base + DSM_RANGE_SLBA_OFFSET, true));
    if (blocks === 0) continue;
    const range = checkedRange(ctx, namespace, slba, blocks);
    if (!isRange(range)) return range;
    ranges.push(range);
  }
  for (const range of ranges) namespace.writeZeroes(range.offsetBytes, range.lengthBytes);
  return success();
}

/** Flush: NSID 1, or FFFFFFFFh for every namespace (Identify VWC bits 2:1 = 11b). */
function flush(ctx: CommandContext, sqe: SubmissionQueueEntry): CommandResult {
  const namespace = ctx.namespace;
  if (!namespace || (sqe.nsid !== NAMESPACE_ID && sqe.nsid !== NSID_BROADCAST)) {
    return failure(Status.InvalidNamespaceOrFormat, `NSID=${sqe.nsid} is not an active namespace`);
  }
  namespace.flush();
  return success();
}

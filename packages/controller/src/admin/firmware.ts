import {
  type BpId,
  binarySpec,
  CommitAction,
  DWORD_SIZE_BYTES,
  FIRMWARE_COMMIT_CDW10_LAYOUT,
  FRMW_LAB_DEFAULT,
  FWUG_NO_INFORMATION,
  FWUG_NO_RESTRICTION,
  FWUG_UNIT_BYTES,
  firmwareDownloadByteRange,
  frmwCodec,
  parseFirmwareCommit,
  parseFirmwareImageDownload,
  Status,
  type SubmissionQueueEntry,
} from "@bplab/nvme-spec";
import { type CommandContext, checkTransferSize, receivePiecesFromHost } from "../command-context.js";
import { describeThrown } from "../errors.js";
import { type CommandResult, failure, success } from "../status.js";

/**
 * Firmware Image Download (11h) and Firmware Commit (10h): the only way Boot Partition contents
 * change (docs/spec/boot-partitions.md §2). Staging rules MC-10..MC-15, commit rules MC-20..MC-26.
 */

/** The vendor "data for boot partition" route hint some firmware puts in CDW12 (MC-15). */
const VENDOR_BP_DATA_HINT = 1;
/** FRMW=03h, as Identify reports it: NOFS slots (one), slot 1 read-only (MC-25). */
const FIRMWARE_SLOTS = frmwCodec.decode(FRMW_LAB_DEFAULT);
const READ_ONLY_SLOT = 1;
/** FS=0 lets the controller pick the slot; with one slot that is slot 1. */
const CONTROLLER_PICKS_SLOT = 0;

export function firmwareImageDownload(ctx: CommandContext, sqe: SubmissionQueueEntry): CommandResult {
  const command = parseFirmwareImageDownload(sqe);
  const { offsetBytes, lengthBytes } = firmwareDownloadByteRange(command);
  const tooLarge = checkTransferSize(ctx, lengthBytes);
  if (tooLarge) return tooLarge;
  const granularity = downloadGranularityBytes(ctx.config.fwug);
  if (offsetBytes % granularity !== 0 || lengthBytes % granularity !== 0) {
    return failure(
      Status.InvalidField,
      `OFST*4=${offsetBytes} and (NUMD+1)*4=${lengthBytes} must be multiples of FWUG (${granularity} bytes) (MC-12)`,
    );
  }
  if (ctx.firmware.newImageOnNextDownload) {
    // The first download after a commit completes starts a new image (spec §2.1, MC-13).
    ctx.firmware.newImageOnNextDownload = false;
    if (ctx.bootPartitions.stagedLength > 0) {
      ctx.trace.emit("fw.staging.discarded", {
        bytes: ctx.bootPartitions.stagedLength,
        cause: "new image (MC-13)",
      });
    }
    ctx.bootPartitions.discardStaged();
  }
  // MC-11: an image starts at offset 0, so a piece at 0 is the first piece of a new image; what
  // was staged is dropped once this piece is accepted (a rejected piece changes nothing).
  const startsNewImage = offsetBytes === 0;
  const stagedEnd = startsNewImage ? 0 : ctx.bootPartitions.stagedLength;
  if (offsetBytes < stagedEnd) {
    return failure(
      Status.OverlappingRange,
      `OFST*4=${offsetBytes} overlaps the ${stagedEnd} bytes staged (MC-11)`,
    );
  }
  if (offsetBytes > stagedEnd) {
    return failure(
      Status.InvalidField,
      `OFST*4=${offsetBytes} leaves a gap after the ${stagedEnd} bytes staged (MC-11)`,
    );
  }
  const capacity = ctx.bootPartitions.bpSizeBytes;
  if (offsetBytes + lengthBytes > capacity) {
    return failure(
      Status.InvalidField,
      `the piece would end at ${offsetBytes + lengthBytes}, past the BP size ${capacity} (MC-10)`,
    );
  }
  const received = receivePiecesFromHost(ctx, sqe, lengthBytes);
  if (!received.ok) return received.result;
  if (startsNewImage && ctx.bootPartitions.stagedLength > 0) {
    ctx.trace.emit("fw.staging.discarded", {
      bytes: ctx.bootPartitions.stagedLength,
      cause: "a piece at OFST=0 starts a new image (MC-11)",
    });
    ctx.bootPartitions.discardStaged();
  }
  // One stageWrite per PRP segment, straight from host memory (issue 13, ports.ts).
  let staged = offsetBytes;
  for (const piece of received.pieces) {
    ctx.bootPartitions.stageWrite(staged, piece);
    staged += piece.length;
  }
  traceCdw12(ctx, command.cdw12);
  ctx.trace.emit("fw.download", () => ({
    offsetBytes,
    lengthBytes,
    stagedBytes: ctx.bootPartitions.stagedLength,
    bpDataHint: ctx.quirks.acceptDownloadCdw12Hint && command.cdw12 === VENDOR_BP_DATA_HINT,
  }));
  return success();
}

function traceCdw12(ctx: CommandContext, cdw12: number): void {
  if (cdw12 === 0) return;
  if (ctx.quirks.acceptDownloadCdw12Hint && cdw12 === VENDOR_BP_DATA_HINT) return;
  ctx.trace.emit("fw.download.cdw12", { cdw12, note: "CDW12 is reserved; ignored (MC-15)" });
}

function downloadGranularityBytes(fwug: number): number {
  if (fwug === FWUG_NO_INFORMATION || fwug === FWUG_NO_RESTRICTION) return DWORD_SIZE_BYTES;
  return fwug * FWUG_UNIT_BYTES;
}

export function firmwareCommit(ctx: CommandContext, sqe: SubmissionQueueEntry): CommandResult {
  const command = parseFirmwareCommit(sqe);
  const result = runCommit(ctx, command.ca, command.fs, command.bpid as BpId);
  // Any completed commit makes the next download start a new image (spec §2.1, MC-13).
  ctx.firmware.newImageOnNextDownload = true;
  ctx.trace.emit("fw.commit", () => ({
    ca: command.ca,
    fs: command.fs,
    bpid: command.bpid,
    ok: result.reason === undefined,
    reason: result.reason,
  }));
  return result;
}

function runCommit(ctx: CommandContext, ca: number, fs: number, bpid: BpId): CommandResult {
  switch (ca) {
    case CommitAction.ReplaceBootPartition:
      return replaceBootPartition(ctx, bpid);
    case CommitAction.ActivateBootPartition:
      // MC-23: no lock check and no staged image needed; ABPID is nonvolatile.
      ctx.bootPartitions.setActiveBpid(bpid);
      return success();
    case CommitAction.ReplaceSlot:
    case CommitAction.ReplaceAndActivateOnReset:
    case CommitAction.ReplaceAndActivateNow:
      // MC-25: the only slot is read-only, so every replace fails.
      return failure(Status.InvalidFirmwareSlot, `slot ${resolveSlot(fs)} is read-only or absent (MC-25)`);
    case CommitAction.ActivateOnReset:
      if (resolveSlot(fs) > FIRMWARE_SLOTS.nofs) {
        return failure(Status.InvalidFirmwareSlot, `FS=${fs} is above NOFS=${FIRMWARE_SLOTS.nofs} (MC-25)`);
      }
      return success();
    default:
      return failure(
        Status.InvalidField,
        `CA=${binarySpec(ca, FIRMWARE_COMMIT_CDW10_LAYOUT.ca.width)} is reserved (MC-25)`,
      );
  }
}

function resolveSlot(fs: number): number {
  return fs === CONTROLLER_PICKS_SLOT ? READ_ONLY_SLOT : fs;
}

/** CA=110b, check order MC-20: lock, then staged image, then the (atomic) write. */
function replaceBootPartition(ctx: CommandContext, bpid: BpId): CommandResult {
  if (!ctx.writeProtection.isWritable(bpid)) {
    return failure(Status.BootPartitionWriteProhibited, `BP${bpid} is not Write Unlocked (MC-20)`);
  }
  const staged = ctx.bootPartitions.stagedLength;
  if (staged === 0) return failure(Status.InvalidFirmwareImage, "no image is staged (MC-13, MC-20)");
  if (ctx.quirks.commitRequiresFullImage && staged < ctx.bootPartitions.bpSizeBytes) {
    return failure(
      Status.BootPartitionWriteProhibited,
      `quirk commitRequiresFullImage: ${staged} bytes staged, BP is ${ctx.bootPartitions.bpSizeBytes}`,
    );
  }
  // MC-21/MC-22: the store replaces the whole BP atomically, zero-filled, and consumes the image.
  try {
    ctx.bootPartitions.commitStaged(bpid);
  } catch (thrown) {
    discardAfterFailedWrite(ctx);
    throw thrown;
  }
  return success();
}

/**
 * MC-13: a commit that failed while writing cannot vouch for the staged image, so it is dropped
 * even if the store kept it; the next commit gets Invalid Firmware Image instead of writing a
 * damaged image. The store's own error is the one reported (as Internal Error).
 */
function discardAfterFailedWrite(ctx: CommandContext): void {
  const staged = ctx.bootPartitions.stagedLength;
  if (staged === 0) return;
  try {
    ctx.bootPartitions.discardStaged();
  } catch (thrown) {
    ctx.trace.emit("internal-error", {
      where: "discard after a failed commit",
      error: describeThrown(thrown),
    });
    return;
  }
  ctx.trace.emit("fw.staging.discarded", { bytes: staged, cause: "commit failed (MC-13)" });
}

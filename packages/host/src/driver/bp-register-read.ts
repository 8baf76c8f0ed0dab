import {
  BootReadStatus,
  type BootReadStatusValue,
  BPRSEL_LAYOUT,
  BPRSEL_UNIT_BYTES,
  type BpId,
  bpinfoCodec,
  bprselCodec,
  encodeBpmbl,
  RegisterOffset,
} from "@bplab/nvme-spec";
import type { Target } from "../target.js";
import { HostTimeoutError, HostUsageError } from "./errors.js";

/** The most 4 KiB units one BPRSEL read can ask for (BPRSZ is 10 bits). */
export const MAX_BPRSZ_UNITS = BPRSEL_LAYOUT.bprsz.max;

/** One register-path read exactly as the host programs it (docs/spec/boot-partitions.md §1.5). */
export interface BpRegisterReadRequest {
  bpid: BpId;
  /** BPROF: offset in 4 KiB units. */
  bprofUnits: number;
  /** BPRSZ: size in 4 KiB units, not 0's based; 0 is allowed (MC-1). */
  bprszUnits: number;
  /** BPMBL.BMBBA: a 4 KiB aligned, physically contiguous host buffer. */
  bufferAddr: bigint;
}

export interface BpRegisterReadResult {
  /** BPINFO.BRS once it left 01b (or 01b if it never did within the poll budget). */
  brs: BootReadStatusValue;
  /** How many BPINFO reads it took. */
  polls: number;
}

/**
 * Steps 5 and 6 of the read procedure: BPMBL, then BPRSEL (whose write starts the read). Works with
 * CC.EN=0, needs no queues, so it takes a bare Target.
 */
export async function startBpRegisterRead(target: Target, request: BpRegisterReadRequest): Promise<void> {
  await target.mmioWrite64(RegisterOffset.BPMBL, encodeBpmbl({ bmbba: request.bufferAddr }));
  const bprsel = bprselCodec.encode({
    bpid: request.bpid,
    bprof: request.bprofUnits,
    bprsz: request.bprszUnits,
  });
  await target.mmioWrite32(RegisterOffset.BPRSEL, bprsel);
}

/** Step 7: poll BPINFO.BRS while it is 01b, letting the device work between polls. */
export async function waitBpRegisterRead(target: Target, maxPolls: number): Promise<BpRegisterReadResult> {
  for (let polls = 1; polls <= maxPolls; polls++) {
    const { brs } = bpinfoCodec.decode(await target.mmioRead32(RegisterOffset.BPINFO));
    if (brs !== BootReadStatus.Reading) return { brs: brs as BootReadStatusValue, polls };
    await target.settle();
  }
  throw new HostTimeoutError("BPINFO.BRS to leave 01b (read in progress)", maxPolls);
}

/** One whole register-path read: program, start, wait. The data is in the host buffer when BRS=10b. */
export async function bpRegisterRead(
  target: Target,
  request: BpRegisterReadRequest,
  maxPolls: number,
): Promise<BpRegisterReadResult> {
  await startBpRegisterRead(target, request);
  // The read runs as deferred device work; give it a chance before the first BRS check.
  await target.settle();
  return waitBpRegisterRead(target, maxPolls);
}

/** Byte offset and length of a BP range → BPROF/BPRSZ units; the offset must be 4 KiB aligned. */
export function bprselUnitsFor(offsetBytes: number, lengthBytes: number): { bprof: number; bprsz: number } {
  if (!Number.isInteger(offsetBytes) || offsetBytes < 0 || offsetBytes % BPRSEL_UNIT_BYTES !== 0) {
    throw new HostUsageError(
      "offset",
      `a BPRSEL read starts on a 4 KiB boundary (BPROF units), got ${offsetBytes}`,
    );
  }
  if (!Number.isInteger(lengthBytes) || lengthBytes < 0) {
    throw new HostUsageError("length", `must be a non-negative integer, got ${lengthBytes}`);
  }
  return { bprof: offsetBytes / BPRSEL_UNIT_BYTES, bprsz: Math.ceil(lengthBytes / BPRSEL_UNIT_BYTES) };
}

/**
 * `bplab bp write|read`: move a whole image between a file and a BP the way firmware does, with
 * Firmware Image Download + Commit CA=110b and Get Log Page 15h (or BPRSEL/BPMBL). Files are
 * streamed in windows, so a 1 GiB image never sits in RAM.
 */
import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { formatSize } from "@bplab/controller";
import { BPRSEL_UNIT_BYTES, type BpId, BpWriteProtectionState, CommitAction } from "@bplab/nvme-spec";
import { CliFailure, CliUsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { startProgress } from "../progress.js";
import { type DeviceSession, expectSuccess } from "../session.js";
import { withStateDevice } from "./state-device.js";

/** File bytes read or written per window: big enough for throughput, small enough for RSS. */
const WINDOW_BYTES = 8 * 1024 * 1024;

export interface BpWriteOptions {
  state: string;
  bp: BpId;
  file: string;
  /** Bytes per Firmware Image Download, a multiple of FWUG; default the largest one within MDTS. */
  chunk?: number;
  /** Read the BP back through log 15h and compare. */
  verify?: boolean;
}

export interface TransferSummary {
  bytes: number;
  sha256: string;
  seconds: number;
}

async function chosenChunk(
  session: DeviceSession,
  requested: number | undefined,
): Promise<{ chunk: number; granularity: number }> {
  const granularity = await session.driver.firmwareUpdateGranularityBytes();
  const maxTransfer = await session.driver.maxTransferBytes();
  // The largest FWUG multiple one command may carry: fewest commands. `--chunk 4K` mimics firmware.
  const chunk = requested ?? Math.floor(maxTransfer / granularity) * granularity;
  if (chunk === 0 || chunk % granularity !== 0 || chunk > maxTransfer) {
    throw new CliUsageError(
      "--chunk",
      `must be a positive multiple of FWUG (${formatSize(granularity)}) and at most MDTS (${formatSize(maxTransfer)}), got ${chunk}`,
    );
  }
  return { chunk, granularity };
}

export async function bpWrite(io: CliIo, options: BpWriteOptions): Promise<TransferSummary> {
  const fd = openInput(options.file);
  try {
    const fileBytes = fstatSync(fd).size;
    return await withStateDevice(options.state, async (session, state) => {
      const capacity = state.bootPartitions.bpSizeBytes;
      if (fileBytes === 0 || fileBytes > capacity) {
        throw new CliUsageError(
          "--file",
          `${options.file} is ${fileBytes} bytes; it must hold 1 to ${capacity} bytes (one BP)`,
        );
      }
      const { chunk, granularity } = await chosenChunk(session, options.chunk);
      const started = performance.now();
      expectSuccess(
        `Set Features 85h (unlock BP${options.bp})`,
        await session.driver.setBpLock(options.bp, BpWriteProtectionState.WriteUnlocked),
      );

      const hash = createHash("sha256");
      const progress = startProgress(io, `download BP${options.bp}`, fileBytes);
      const window = new Uint8Array(Math.ceil(WINDOW_BYTES / chunk) * chunk);
      try {
        for (let offset = 0; offset < fileBytes; ) {
          const got = readFully(fd, window, offset, Math.min(window.length, fileBytes - offset));
          hash.update(window.subarray(0, got));
          for (let inWindow = 0; inWindow < got; inWindow += chunk) {
            const pieceBytes = Math.min(chunk, got - inWindow);
            const piece = paddedPiece(window.subarray(inWindow, inWindow + pieceBytes), granularity);
            const outcome = await session.driver.firmwareImageDownloadPiece(piece, offset + inWindow);
            if (!outcome.ok) {
              throw new CliFailure(
                "CLI_DEVICE_STATUS",
                `Firmware Image Download at offset ${offset + inWindow} failed with status ${outcome.status}`,
              );
            }
          }
          offset += got;
          progress.update(offset);
        }
      } finally {
        progress.stop();
      }
      const commit = await session.driver.firmwareCommit(CommitAction.ReplaceBootPartition, options.bp);
      io.out(`Firmware Commit CA=110b BPID=${options.bp}: status ${commit.status}\n`);
      expectSuccess("Firmware Commit CA=110b", commit);
      expectSuccess(
        `Set Features 85h (lock BP${options.bp})`,
        await session.driver.setBpLock(options.bp, BpWriteProtectionState.WriteLocked),
      );
      const summary = {
        bytes: fileBytes,
        sha256: hash.digest("hex"),
        seconds: (performance.now() - started) / 1000,
      };
      io.out(
        `wrote ${formatSize(fileBytes)} into BP${options.bp} in ${Math.ceil(fileBytes / chunk)} downloads of ${formatSize(chunk)} (${rate(summary)}), sha256 ${summary.sha256}\n`,
      );
      if (options.verify) {
        const back = await readBpToHash(session, options.bp, 0, fileBytes, "log", io);
        if (back !== summary.sha256) {
          throw new CliFailure(
            "CLI_CHECK_FAILED",
            `read-back through log 15h has sha256 ${back}, expected ${summary.sha256}`,
          );
        }
        io.out("verified: log 15h read-back matches the file\n");
      }
      return summary;
    });
  } finally {
    closeSync(fd);
  }
}

export type ReadPath = "log" | "bprsel";

export interface BpReadOptions {
  state: string;
  bp: BpId;
  out: string;
  via: ReadPath;
  offset?: number;
  length?: number;
}

export async function bpRead(io: CliIo, options: BpReadOptions): Promise<TransferSummary> {
  return withStateDevice(options.state, async (session, state) => {
    const bpSizeBytes = state.bootPartitions.bpSizeBytes;
    const offset = options.offset ?? 0;
    const length = options.length ?? bpSizeBytes - offset;
    if (offset > bpSizeBytes || offset + length > bpSizeBytes) {
      throw new CliUsageError(
        "--offset/--length",
        `the range ${offset}+${length} ends past the BP (${bpSizeBytes} bytes)`,
      );
    }
    if (options.via === "bprsel" && offset % BPRSEL_UNIT_BYTES !== 0) {
      throw new CliUsageError(
        "--offset",
        `must be a multiple of 4096 for --via bprsel (BPROF counts 4 KiB units), got ${offset}`,
      );
    }
    const fd = openSync(options.out, "w");
    const started = performance.now();
    let sha256: string;
    try {
      sha256 = await readBpToHash(session, options.bp, offset, length, options.via, io, fd);
    } finally {
      closeSync(fd);
    }
    const summary = { bytes: length, sha256, seconds: (performance.now() - started) / 1000 };
    const path = options.via === "log" ? "Get Log Page 15h" : "BPRSEL/BPMBL";
    io.out(
      `read ${formatSize(length)} of BP${options.bp} at offset ${offset} through ${path} into ${options.out} (${rate(summary)}), sha256 ${sha256}\n`,
    );
    return summary;
  });
}

/** Reads a BP range window by window, hashing it and (with `fd`) writing it to a file. */
async function readBpToHash(
  session: DeviceSession,
  bp: BpId,
  offset: number,
  length: number,
  via: ReadPath,
  io: CliIo,
  fd?: number,
): Promise<string> {
  const hash = createHash("sha256");
  const progress = startProgress(io, `read BP${bp}`, length);
  try {
    for (let done = 0; done < length; done += WINDOW_BYTES) {
      const size = Math.min(WINDOW_BYTES, length - done);
      const outcome =
        via === "log"
          ? await session.driver.bpReadViaLog(bp, offset + done, size)
          : await session.driver.bpReadViaRegisters(bp, offset + done, size);
      if (!outcome.ok) {
        throw new CliFailure(
          "CLI_DEVICE_STATUS",
          `reading BP${bp} at offset ${offset + done} failed: ${outcome.status}`,
        );
      }
      const data = outcome.data.subarray(0, size);
      hash.update(data);
      if (fd !== undefined) writeSync(fd, data);
      progress.update(done + size);
    }
  } finally {
    progress.stop();
  }
  return hash.digest("hex");
}

function openInput(file: string): number {
  try {
    return openSync(file, "r");
  } catch (error) {
    throw new CliUsageError("--file", `cannot open ${file}: ${(error as Error).message}`);
  }
}

function readFully(fd: number, into: Uint8Array, position: number, length: number): number {
  let done = 0;
  while (done < length) {
    const got = readSync(fd, into, done, length - done, position + done);
    if (got === 0) break;
    done += got;
  }
  return done;
}

/**
 * The last piece is zero-padded to whole FWUG units (MC-12 rejects anything else); the padding is
 * invisible because a BP holds zeros past its image anyway (MC-21).
 */
function paddedPiece(piece: Uint8Array, granularity: number): Uint8Array {
  if (piece.length % granularity === 0) return piece;
  const padded = new Uint8Array(Math.ceil(piece.length / granularity) * granularity);
  padded.set(piece);
  return padded;
}

function rate(summary: TransferSummary): string {
  const mib = summary.bytes / (1024 * 1024);
  return `${(mib / Math.max(summary.seconds, 1e-6)).toFixed(1)} MiB/s`;
}

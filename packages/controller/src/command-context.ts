import { Status, type SubmissionQueueEntry } from "@bplab/nvme-spec";
import type { ResolvedConfig } from "./config.js";
import type { ErrorLog } from "./error-log.js";
import type { FeatureValues } from "./feature-values.js";
import type { BootPartitionStore, Clock, HostMemory, NamespaceStore } from "./ports.js";
import {
  bytesSource,
  copyFromHost,
  copySourceToHost,
  readHostSegments,
  resolvePrps,
  type TransferSource,
} from "./prp.js";
import type { QueueEngine } from "./queues.js";
import type { QuirkSwitches } from "./quirks.js";
import { type CommandResult, failure } from "./status.js";
import type { TraceBus } from "./trace.js";
import type { WriteProtection } from "./write-protection.js";

/**
 * Everything a command handler may touch. The controller builds one per enabled session; the
 * handlers stay plain functions `(ctx, sqe) → CommandResult`, testable without the queues.
 */
export interface CommandContext {
  readonly config: ResolvedConfig;
  readonly quirks: QuirkSwitches;
  readonly trace: TraceBus;
  readonly clock: Clock;
  readonly memory: HostMemory;
  readonly bootPartitions: BootPartitionStore;
  readonly namespace: NamespaceStore | undefined;
  readonly queues: QueueEngine;
  /** Host memory page size from CC.MPS, latched at CC.EN 0→1. */
  readonly pageSize: number;
  /** MDTS in bytes (Infinity when MDTS=0). */
  readonly maxTransferBytes: number;
  readonly writeProtection: WriteProtection;
  readonly features: FeatureValues;
  readonly firmware: FirmwareSession;
  readonly asyncEvents: AsyncEventRequests;
  readonly statistics: DeviceStatistics;
  readonly errorLog: ErrorLog;
  /** Admin opcodes the dispatcher implements (for the Commands Supported and Effects log). */
  readonly supportedAdminOpcodes: readonly number[];
}

/** Volatile Firmware Image Download bookkeeping (MC-13). */
export interface FirmwareSession {
  /** Set when any Firmware Commit completes: the next download starts a new image (docs/spec/boot-partitions.md §2.1). */
  newImageOnNextDownload: boolean;
}

/** Outstanding Asynchronous Event Requests, in submission order. */
export interface AsyncEventRequests {
  readonly outstanding: Array<{ readonly sqid: number; readonly cid: number }>;
}

/** Counters the SMART / Health log reports. */
export interface DeviceStatistics {
  bytesRead: number;
  bytesWritten: number;
  hostReadCommands: number;
  hostWriteCommands: number;
  powerCycles: number;
  /** Clock time of the last power-on, for Power On Hours. */
  poweredOnAtMs: number;
}

/** Controller → host: PRPs from the SQE, then the copy. Returns a failure or undefined. */
export function sendToHost(
  ctx: CommandContext,
  sqe: SubmissionQueueEntry,
  data: Uint8Array,
): CommandResult | undefined {
  return sendSourceToHost(ctx, sqe, data.length, bytesSource(data));
}

/**
 * Controller → host: `length` bytes of `source` into the buffer the SQE's PRPs describe, segment
 * by segment, with no buffer of the whole transfer in between. Returns a failure or undefined.
 */
export function sendSourceToHost(
  ctx: CommandContext,
  sqe: SubmissionQueueEntry,
  length: number,
  source: TransferSource,
): CommandResult | undefined {
  const resolution = resolvePrps(ctx.memory, sqe.prp1, sqe.prp2, length, ctx.pageSize);
  if (!resolution.ok) return resolution.result;
  return copySourceToHost(ctx.memory, resolution.segments, source);
}

/**
 * Host → controller: `length` bytes as one piece per PRP segment (views of host memory where
 * it offers them), so a large transfer is never gathered into one buffer.
 */
export function receivePiecesFromHost(
  ctx: CommandContext,
  sqe: SubmissionQueueEntry,
  length: number,
): { ok: true; pieces: Uint8Array[] } | { ok: false; result: CommandResult } {
  const resolution = resolvePrps(ctx.memory, sqe.prp1, sqe.prp2, length, ctx.pageSize);
  if (!resolution.ok) return resolution;
  return readHostSegments(ctx.memory, resolution.segments);
}

/** Host → controller: `length` bytes from the buffer the SQE's PRPs describe. */
export function receiveFromHost(
  ctx: CommandContext,
  sqe: SubmissionQueueEntry,
  length: number,
): { ok: true; data: Uint8Array } | { ok: false; result: CommandResult } {
  const resolution = resolvePrps(ctx.memory, sqe.prp1, sqe.prp2, length, ctx.pageSize);
  if (!resolution.ok) return resolution;
  return copyFromHost(ctx.memory, resolution.segments);
}

/** MDTS: a data transfer longer than the limit → Invalid Field in Command. */
export function checkTransferSize(ctx: CommandContext, lengthBytes: number): CommandResult | undefined {
  if (lengthBytes <= ctx.maxTransferBytes) return undefined;
  return failure(
    Status.InvalidField,
    `transfer of ${lengthBytes} bytes exceeds MDTS (${ctx.maxTransferBytes} bytes)`,
  );
}

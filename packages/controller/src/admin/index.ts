import { AdminOpcode, type SubmissionQueueEntry } from "@bplab/nvme-spec";
import type { CommandContext } from "../command-context.js";
import { type CommandResult, invalidOpcode, success } from "../status.js";
import { abort } from "./abort.js";
import { asyncEventRequest } from "./async-events.js";
import { getFeatures, setFeatures } from "./features.js";
import { firmwareCommit, firmwareImageDownload } from "./firmware.js";
import { identify } from "./identify.js";
import { getLogPage } from "./log-pages.js";
import {
  createIoCompletionQueue,
  createIoSubmissionQueue,
  deleteIoCompletionQueue,
  deleteIoSubmissionQueue,
} from "./queue-management.js";

type AdminHandler = (
  ctx: CommandContext,
  sqe: SubmissionQueueEntry,
  sqid: number,
) => CommandResult | undefined;

const HANDLERS: ReadonlyMap<number, AdminHandler> = new Map<number, AdminHandler>([
  [AdminOpcode.DeleteIoSq, deleteIoSubmissionQueue],
  [AdminOpcode.CreateIoSq, createIoSubmissionQueue],
  [AdminOpcode.GetLogPage, getLogPage],
  [AdminOpcode.DeleteIoCq, deleteIoCompletionQueue],
  [AdminOpcode.CreateIoCq, createIoCompletionQueue],
  [AdminOpcode.Identify, identify],
  [AdminOpcode.Abort, abort],
  [AdminOpcode.SetFeatures, setFeatures],
  [AdminOpcode.GetFeatures, getFeatures],
  [AdminOpcode.AsyncEventRequest, (ctx, sqe, sqid) => asyncEventRequest(ctx, sqid, sqe)],
  [AdminOpcode.FirmwareCommit, firmwareCommit],
  [AdminOpcode.FirmwareImageDownload, firmwareImageDownload],
  // The PCIe controller has no keep-alive timer (KAS=0), so Keep Alive simply succeeds.
  [AdminOpcode.KeepAlive, () => success()],
]);

/** The admin opcodes this controller implements (Commands Supported and Effects log, tests). */
export const SUPPORTED_ADMIN_OPCODES: readonly number[] = Object.freeze([...HANDLERS.keys()]);

/** Runs one admin command; `undefined` means it completes later (AER). Unknown → Invalid Opcode. */
export function executeAdminCommand(
  ctx: CommandContext,
  sqid: number,
  sqe: SubmissionQueueEntry,
): CommandResult | undefined {
  const handler = HANDLERS.get(sqe.opcode);
  if (!handler) return invalidOpcode(sqe.opcode, true);
  return handler(ctx, sqe, sqid);
}

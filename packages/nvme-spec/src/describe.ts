import { numdToBytes } from "./commands/common.js";
import { parseGetFeatures, parseSetFeatures } from "./commands/features-command.js";
import {
  COMMIT_ACTION_NAMES,
  CommitAction,
  type CommitActionValue,
  firmwareDownloadByteRange,
  parseFirmwareCommit,
  parseFirmwareImageDownload,
} from "./commands/firmware.js";
import { parseGetLogPage } from "./commands/get-log-page.js";
import { parseIdentify } from "./commands/identify-command.js";
import { parseAbort, parseCreateIoCq, parseCreateIoSq, parseDeleteQueue } from "./commands/queues.js";
import { formatBpWriteProtection } from "./features/bp-write-protection.js";
import { FEATURE_SELECT_NAMES, FeatureId, FeatureSelect, featureName } from "./features/ids.js";
import { binarySpec, hexSpec } from "./format.js";
import { cnsName } from "./identify/cns.js";
import { bootPartitionFromLsp } from "./log-pages/boot-partition.js";
import { LogPageId, logPageName } from "./log-pages/ids.js";
import { AdminOpcode, NvmOpcode, opcodeName } from "./opcodes.js";
import type { CompletionQueueEntry } from "./queue/cqe.js";
import type { SubmissionQueueEntry } from "./queue/sqe.js";
import { formatStatusCode, isSuccess, type StatusCode, statusName } from "./status.js";

/**
 * One-line human descriptions of commands and completions, in the spec's vocabulary. The CLI,
 * traces and test failures print these, e.g.
 * `Firmware Commit CA=110b (replace BP) BPID=1 → Boot Partition Write Prohibited (SCT 1h / SC 1Eh)`.
 */

const HEX_DWORD_DIGITS = 8;
const CA_BINARY_DIGITS = 3;

function hexDword(value: number | bigint): string {
  return `0x${value.toString(16).toUpperCase().padStart(HEX_DWORD_DIGITS, "0")}`;
}

function bytesText(bytes: number): string {
  return `${bytes} bytes`;
}

type Describer = (sqe: SubmissionQueueEntry) => string;

const ADMIN_DESCRIBERS: Readonly<Record<number, Describer>> = {
  [AdminOpcode.FirmwareCommit]: (sqe) => {
    const { ca, bpid, fs } = parseFirmwareCommit(sqe);
    const isBootPartitionAction =
      ca === CommitAction.ReplaceBootPartition || ca === CommitAction.ActivateBootPartition;
    return `CA=${describeCommitAction(ca)} ${isBootPartitionAction ? `BPID=${bpid}` : `FS=${fs}`}`;
  },
  [AdminOpcode.FirmwareImageDownload]: (sqe) => {
    const command = parseFirmwareImageDownload(sqe);
    const { offsetBytes, lengthBytes } = firmwareDownloadByteRange(command);
    const hint = command.cdw12 === 0 ? "" : ` CDW12=${hexDword(command.cdw12)} (vendor hint)`;
    return `NUMD=${command.numd} (${bytesText(lengthBytes)}) OFST=${command.ofst} (byte ${offsetBytes})${hint}`;
  },
  [AdminOpcode.GetLogPage]: (sqe) => {
    const { lid, lsp, numd, lpo, rae } = parseGetLogPage(sqe);
    const selector =
      lid === LogPageId.BootPartition ? ` BPID=${bootPartitionFromLsp(lsp)}` : lsp ? ` LSP=${lsp}` : "";
    const raeText = rae ? " RAE=1" : "";
    return `LID=${hexSpec(lid)} (${logPageName(lid)})${selector} LPO=${lpo} NUMD=${numd} (${bytesText(numdToBytes(numd))})${raeText}`;
  },
  [AdminOpcode.SetFeatures]: (sqe) => {
    const { fid, sv, cdw11 } = parseSetFeatures(sqe);
    const value =
      fid === FeatureId.BootPartitionWriteProtection
        ? `CDW11=${hexSpec(cdw11)}: ${formatBpWriteProtection(cdw11)}`
        : `CDW11=${hexDword(cdw11)}`;
    return `FID=${hexSpec(fid)} (${featureName(fid)}) ${value}${sv ? " SV=1" : ""}`;
  },
  [AdminOpcode.GetFeatures]: (sqe) => {
    const { fid, sel } = parseGetFeatures(sqe);
    return `FID=${hexSpec(fid)} (${featureName(fid)}) SEL=${FEATURE_SELECT_NAMES[sel] ?? `${sel} (reserved)`}`;
  },
  [AdminOpcode.Identify]: (sqe) => {
    const { cns, nsid, cntid, csi } = parseIdentify(sqe);
    const extra = `${nsid ? ` NSID=${nsid}` : ""}${cntid ? ` CNTID=${cntid}` : ""}${csi ? ` CSI=${csi}` : ""}`;
    return `CNS=${hexSpec(cns)} (${cnsName(cns)})${extra}`;
  },
  [AdminOpcode.CreateIoCq]: (sqe) => {
    const { qid, qsize, ien, iv } = parseCreateIoCq(sqe);
    return `QID=${qid} QSIZE=${qsize + 1} entries IEN=${ien ? 1 : 0} IV=${iv}`;
  },
  [AdminOpcode.CreateIoSq]: (sqe) => {
    const { qid, qsize, cqid } = parseCreateIoSq(sqe);
    return `QID=${qid} QSIZE=${qsize + 1} entries CQID=${cqid}`;
  },
  [AdminOpcode.DeleteIoSq]: (sqe) => `QID=${parseDeleteQueue(sqe).qid}`,
  [AdminOpcode.DeleteIoCq]: (sqe) => `QID=${parseDeleteQueue(sqe).qid}`,
  [AdminOpcode.Abort]: (sqe) => {
    const { sqid, abortCid } = parseAbort(sqe);
    return `SQID=${sqid} CID=${abortCid}`;
  },
};

/** NVM I/O commands that address logical blocks: CDW11:CDW10 SLBA, CDW12 bits 15:0 NLB (0's based). */
const LBA_COMMANDS = new Set<number>([
  NvmOpcode.Read,
  NvmOpcode.Write,
  NvmOpcode.WriteZeroes,
  NvmOpcode.Compare,
]);
const NLB_MASK = 0xffff;

function describeIo(sqe: SubmissionQueueEntry): string {
  if (!LBA_COMMANDS.has(sqe.opcode)) return `NSID=${sqe.nsid}`;
  const slba = (BigInt(sqe.cdw11) << 32n) | BigInt(sqe.cdw10);
  return `NSID=${sqe.nsid} SLBA=${slba} NLB=${(sqe.cdw12 & NLB_MASK) + 1}`;
}

/** e.g. "Firmware Commit CA=110b (replace BP) BPID=1". */
export function describeCommand(sqe: SubmissionQueueEntry, options: { admin: boolean }): string {
  const name = opcodeName(sqe.opcode, options.admin);
  const details = options.admin ? ADMIN_DESCRIBERS[sqe.opcode]?.(sqe) : describeIo(sqe);
  return details ? `${name} ${details}` : name;
}

/** e.g. "Boot Partition Write Prohibited (SCT 1h / SC 1Eh)". */
export function describeStatus(status: StatusCode): string {
  return `${statusName(status)} (${formatStatusCode(status)})`;
}

/** The status, plus DW0 when a successful command returned a value there. */
export function describeCompletion(cqe: CompletionQueueEntry): string {
  const base = describeStatus(cqe.status);
  return isSuccess(cqe.status) && cqe.dw0 !== 0 ? `${base} DW0=${hexDword(cqe.dw0)}` : base;
}

/** Command and completion on one line; a Get Features 85h result is decoded into BP states. */
export function describeExchange(
  sqe: SubmissionQueueEntry,
  cqe: CompletionQueueEntry,
  options: { admin: boolean },
): string {
  let completion = describeCompletion(cqe);
  const isBpGet =
    options.admin &&
    sqe.opcode === AdminOpcode.GetFeatures &&
    parseGetFeatures(sqe).fid === FeatureId.BootPartitionWriteProtection &&
    parseGetFeatures(sqe).sel !== FeatureSelect.SupportedCapabilities;
  if (isBpGet && isSuccess(cqe.status))
    completion = `${describeStatus(cqe.status)}: ${formatBpWriteProtection(cqe.dw0)}`;
  return `${describeCommand(sqe, options)} → ${completion}`;
}

/** "110b (replace BP)" for a CA value. */
function describeCommitAction(ca: CommitActionValue | number): string {
  return `${binarySpec(ca, CA_BINARY_DIGITS)} (${COMMIT_ACTION_NAMES[ca] ?? "reserved"})`;
}

import {
  BOOT_PARTITION_LOG_HEADER_SIZE,
  BOOT_PARTITION_UNIT_BYTES,
  bootPartitionFromLsp,
  CommandSetId,
  encodeBootPartitionLogHeader,
  encodeChangedNamespaceList,
  LogPageId,
  NSID_BROADCAST,
  numdToBytes,
  parseGetLogPage,
  Status,
  type SubmissionQueueEntry,
} from "@bplab/nvme-spec";
import { type CommandContext, checkTransferSize, sendSourceToHost } from "../command-context.js";
import { NAMESPACE_ID } from "../nvm-io.js";
import { bytesSource, type TransferSource } from "../prp.js";
import { type CommandResult, failure, success } from "../status.js";
import {
  commandsSupportedAndEffects,
  errorInformation,
  firmwareSlotInformation,
  smartHealth,
  supportedLogPages,
} from "./log-data.js";

/**
 * Get Log Page (02h) with NUMDL/NUMDU and LPOL/LPOU (LPA.LPEDS=1). LID 15h reads a Boot
 * Partition: a 16-byte header, then the BP selected by LSP bit 0 (MC-50..MC-54). The log path
 * never touches BPINFO, BPRSEL or BPMBL.
 */

/** A log as a size plus a reader, so LID 15h never materialises a whole (up to 4 GiB) BP. */
interface LogSource extends TransferSource {
  readonly sizeBytes: number;
}

const NSID_NONE = 0;
const DWORD_ALIGN_MASK = 0b11n;

export function getLogPage(ctx: CommandContext, sqe: SubmissionQueueEntry): CommandResult {
  const command = parseGetLogPage(sqe);
  const lengthBytes = numdToBytes(command.numd);
  const tooLarge = checkTransferSize(ctx, lengthBytes);
  if (tooLarge) return tooLarge;
  if (command.ot) return failure(Status.InvalidField, "OT=1: no log page supports index offsets");
  if ((command.lpo & DWORD_ALIGN_MASK) !== 0n) {
    return failure(Status.InvalidField, `LPO=${command.lpo} is not dword aligned (MC-50)`);
  }
  const source = logSource(ctx, command.lid, command.lsp, command.csi, sqe.nsid);
  if (!isSource(source)) return source;
  if (command.lpo > BigInt(source.sizeBytes)) {
    return failure(
      Status.InvalidField,
      `LPO=${command.lpo} is past the ${source.sizeBytes}-byte log (MC-50)`,
    );
  }
  const window = new LogWindow(source, Number(command.lpo));
  return sendSourceToHost(ctx, sqe, lengthBytes, window) ?? success();
}

/**
 * The bytes a Get Log Page returns, from LPO on: the log's, then 00h past its end (MC-51). The
 * transfer pulls them segment by segment, so no buffer of the whole transfer is built.
 */
class LogWindow implements TransferSource {
  constructor(
    private readonly log: LogSource,
    private readonly lpo: number,
  ) {}

  read(offset: number, into: Uint8Array): void {
    const start = this.lpo + offset;
    const fromLog = Math.max(0, Math.min(into.length, this.log.sizeBytes - start));
    if (fromLog > 0) this.log.read(start, fromLog === into.length ? into : into.subarray(0, fromLog));
    if (fromLog < into.length) into.fill(0, fromLog);
  }
}

function isSource(value: LogSource | CommandResult): value is LogSource {
  return "sizeBytes" in value;
}

/** Controller-scope logs ignore NSID; SMART / Health takes the controller or the namespace (MC-63). */
function logSource(
  ctx: CommandContext,
  lid: number,
  lsp: number,
  csi: number,
  nsid: number,
): LogSource | CommandResult {
  switch (lid) {
    case LogPageId.SupportedLogPages:
      return logOf(supportedLogPages());
    case LogPageId.ErrorInformation:
      return logOf(errorInformation(ctx));
    case LogPageId.SmartHealth:
      // LPA.SMARTS=1 (MC-55): NSID 0h/FFFFFFFFh is the controller, NSID 1 the one namespace,
      // which holds every byte the controller stores, so both report the same counters.
      if (nsid !== NSID_NONE && nsid !== NSID_BROADCAST && !(ctx.namespace && nsid === NAMESPACE_ID)) {
        return failure(Status.InvalidNamespaceOrFormat, `NSID=${nsid} is not an active namespace`);
      }
      return logOf(smartHealth(ctx));
    case LogPageId.ChangedNamespaceList:
      // Namespaces are fixed at power-on: the list is always empty.
      return logOf(encodeChangedNamespaceList([]));
    case LogPageId.FirmwareSlot:
      return logOf(firmwareSlotInformation(ctx));
    case LogPageId.CommandsSupportedAndEffects:
      if (csi !== CommandSetId.Nvm)
        return failure(Status.InvalidField, `CSI ${csi}: only the NVM command set`);
      return logOf(commandsSupportedAndEffects(ctx.supportedAdminOpcodes));
    case LogPageId.BootPartition:
      return bootPartitionLog(ctx, lsp);
    default:
      // Base 2.x §5.16: an unsupported Log Identifier → Invalid Field in Command (MC-63).
      return failure(
        Status.InvalidField,
        `LID ${lid.toString(16).padStart(2, "0")}h is not supported (MC-63)`,
      );
  }
}

function logOf(bytes: Uint8Array): LogSource {
  return { sizeBytes: bytes.length, ...bytesSource(bytes) };
}

/** LID 15h: header (LID 15h, BPSZ and ABPID without BRS, MC-54), then BP data; LSP bits 6:1 ignored (MC-52). */
function bootPartitionLog(ctx: CommandContext, lsp: number): LogSource {
  const store = ctx.bootPartitions;
  const bpid = bootPartitionFromLsp(lsp);
  return {
    sizeBytes: BOOT_PARTITION_LOG_HEADER_SIZE + store.bpSizeBytes,
    read(offset, into) {
      let written = 0;
      if (offset < BOOT_PARTITION_LOG_HEADER_SIZE) {
        // Encoded only by the command that reads it: a BP read is mostly commands past the header.
        const header = encodeBootPartitionLogHeader({
          bpsz: store.bpSizeBytes / BOOT_PARTITION_UNIT_BYTES,
          abpid: store.activeBpid,
        });
        const headerPart = header.subarray(
          offset,
          Math.min(BOOT_PARTITION_LOG_HEADER_SIZE, offset + into.length),
        );
        into.set(headerPart);
        written = headerPart.length;
      }
      if (written < into.length) {
        const bpOffset = offset + written - BOOT_PARTITION_LOG_HEADER_SIZE;
        store.readBp(bpid, bpOffset, into.subarray(written));
      }
    },
  };
}

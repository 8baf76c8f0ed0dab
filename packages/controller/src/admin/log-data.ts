import {
  type CommandEffects,
  encodeCommandsSupportedAndEffects,
  encodeErrorInformationLog,
  encodeFirmwareSlotLog,
  encodeSmartHealthLog,
  encodeSupportedLogPages,
  FIRMWARE_SLOT_COUNT,
  LogPageId,
  PARAMETER_ERROR_LOCATION_NOT_APPLICABLE,
  SUPPORTED_NO_EFFECTS,
  statusFieldCodec,
  supportedLogPagesOf,
  toNvmeStatus,
} from "@bplab/nvme-spec";
import type { CommandContext } from "../command-context.js";
import { ERROR_LOG_ENTRIES } from "../error-log.js";
import { LBA_CHANGING_NVM_OPCODES, SUPPORTED_NVM_OPCODES } from "../nvm-io.js";

/** The contents of the controller-scope log pages 00h, 01h, 02h, 03h and 05h (Base §5.1.12.1). */

export const SUPPORTED_LOG_PAGE_IDS: readonly number[] = Object.freeze([
  LogPageId.SupportedLogPages,
  LogPageId.ErrorInformation,
  LogPageId.SmartHealth,
  LogPageId.FirmwareSlot,
  LogPageId.ChangedNamespaceList,
  LogPageId.CommandsSupportedAndEffects,
  LogPageId.BootPartition,
]);

export function supportedLogPages(): Uint8Array {
  return encodeSupportedLogPages(supportedLogPagesOf(SUPPORTED_LOG_PAGE_IDS));
}

/** The status field bits 15:1 of an entry; bit 0 (the phase tag) is reported as 0. */
const STATUS_FIELD_SHIFT = 1;

/** Error Information (01h): ELPE + 1 entries, newest first; unused entries are all zero. */
export function errorInformation(ctx: CommandContext): Uint8Array {
  const entries = Array.from({ length: ERROR_LOG_ENTRIES }, (_, index) => {
    const record = ctx.errorLog.entries[index];
    return {
      errorCount: BigInt(record?.errorCount ?? 0),
      sqid: record?.sqid ?? 0,
      cid: record?.cid ?? 0,
      statusField: record
        ? statusFieldCodec.encode(toNvmeStatus(record.status, { dnr: record.dnr })) << STATUS_FIELD_SHIFT
        : 0,
      parameterErrorLocation: record ? PARAMETER_ERROR_LOCATION_NOT_APPLICABLE : 0,
      lba: 0n,
      nsid: record?.nsid ?? 0,
      vendorSpecificLid: 0,
      trtype: 0,
      commandSpecificInformation: 0n,
      transportTypeSpecificInformation: 0,
    };
  });
  return encodeErrorInformationLog(entries);
}

/** A steady 37 °C: the model has no thermal behaviour. */
const COMPOSITE_TEMPERATURE_K = 310;
/** Data Units are thousands of 512-byte units, rounded up. */
const DATA_UNIT_BYTES = 512_000;
const MS_PER_HOUR = 3_600_000;

export function smartHealth(ctx: CommandContext): Uint8Array {
  const stats = ctx.statistics;
  const powerOnHours = Math.max(0, Math.floor((ctx.clock.nowMs() - stats.poweredOnAtMs) / MS_PER_HOUR));
  return encodeSmartHealthLog({
    compositeTemperature: COMPOSITE_TEMPERATURE_K,
    dataUnitsRead: BigInt(Math.ceil(stats.bytesRead / DATA_UNIT_BYTES)),
    dataUnitsWritten: BigInt(Math.ceil(stats.bytesWritten / DATA_UNIT_BYTES)),
    hostReadCommands: BigInt(stats.hostReadCommands),
    hostWriteCommands: BigInt(stats.hostWriteCommands),
    powerCycles: BigInt(stats.powerCycles),
    powerOnHours: BigInt(powerOnHours),
    errorLogEntries: BigInt(ctx.errorLog.totalErrors),
  });
}

/** The running firmware comes from slot 1, the only (read-only) slot (FRMW=03h). */
const ACTIVE_SLOT = 1;

export function firmwareSlotInformation(ctx: CommandContext): Uint8Array {
  const revisions = Array.from({ length: FIRMWARE_SLOT_COUNT }, (_, index) =>
    index === ACTIVE_SLOT - 1 ? ctx.config.firmwareRevision : "",
  );
  return encodeFirmwareSlotLog({ activeSlot: ACTIVE_SLOT, nextSlot: 0, revisions });
}

const CHANGES_LBA_CONTENT: Readonly<CommandEffects> = Object.freeze({ ...SUPPORTED_NO_EFFECTS, lbcc: true });

/** Commands Supported and Effects (05h): CSUPP for every implemented opcode, LBCC for writes. */
export function commandsSupportedAndEffects(adminOpcodes: readonly number[]): Uint8Array {
  const admin = new Map(adminOpcodes.map((opcode) => [opcode, SUPPORTED_NO_EFFECTS] as const));
  const io = new Map(
    SUPPORTED_NVM_OPCODES.map(
      (opcode) =>
        [
          opcode,
          LBA_CHANGING_NVM_OPCODES.includes(opcode) ? CHANGES_LBA_CONTENT : SUPPORTED_NO_EFFECTS,
        ] as const,
    ),
  );
  return encodeCommandsSupportedAndEffects({ admin, io });
}

import { BufferWriter, encodeStatusField, LogPageId, toNvmeStatus } from "@bplab/nvme-spec";
import type { CommandContext } from "../command-context.js";
import { ERROR_LOG_ENTRIES } from "../error-log.js";
import { LBA_CHANGING_NVM_OPCODES, SUPPORTED_NVM_OPCODES } from "../nvm-io.js";

/**
 * The bytes of the controller-scope log pages 00h, 01h, 02h, 03h and 05h (NVMe Base §5.1.12.1).
 * TODO(nvme-spec): move these layouts into @bplab/nvme-spec when it grows log page codecs.
 */

/** Supported Log Pages (00h): one dword per LID, bit 0 LSUPP (supported), bit 1 IOS (index offsets). */
const SUPPORTED_LOG_PAGES_BYTES = 1024;
const LOG_SUPPORTED = 1 << 0;
const DWORD_BYTES = 4;

export const SUPPORTED_LOG_PAGE_IDS: readonly number[] = Object.freeze([
  LogPageId.SupportedLogPages,
  LogPageId.ErrorInformation,
  LogPageId.SmartHealth,
  LogPageId.FirmwareSlot,
  LogPageId.CommandsSupportedAndEffects,
  LogPageId.BootPartition,
]);

export function supportedLogPages(): Uint8Array {
  const writer = new BufferWriter(SUPPORTED_LOG_PAGES_BYTES);
  for (const lid of SUPPORTED_LOG_PAGE_IDS) writer.u32(lid * DWORD_BYTES, `LIDSUPP[${lid}]`, LOG_SUPPORTED);
  return writer.bytes;
}

/** Error Information (01h): 64-byte entries, newest first, ELPE + 1 of them. */
const ERROR_ENTRY_BYTES = 64;
const ErrorEntryOffset = Object.freeze({ COUNT: 0, SQID: 8, CID: 10, STATUS: 12, PARAMETER: 14, NSID: 24 });
/** Parameter Error Location FFFFh: the error is not tied to one field. */
const PARAMETER_LOCATION_UNKNOWN = 0xffff;

export function errorInformation(ctx: CommandContext): Uint8Array {
  const writer = new BufferWriter(ERROR_ENTRY_BYTES * ERROR_LOG_ENTRIES);
  ctx.errorLog.entries.forEach((entry, index) => {
    const base = index * ERROR_ENTRY_BYTES;
    // Status Field as in a CQE: bit 0 is the phase tag (reported as 0), bits 15:1 the status.
    const status = encodeStatusField(toNvmeStatus(entry.status, { dnr: entry.dnr })) << 1;
    writer
      .u64(base + ErrorEntryOffset.COUNT, "Error Count", BigInt(entry.errorCount))
      .u16(base + ErrorEntryOffset.SQID, "SQID", entry.sqid)
      .u16(base + ErrorEntryOffset.CID, "CID", entry.cid)
      .u16(base + ErrorEntryOffset.STATUS, "Status Field", status)
      .u16(base + ErrorEntryOffset.PARAMETER, "Parameter Error Location", PARAMETER_LOCATION_UNKNOWN)
      .u32(base + ErrorEntryOffset.NSID, "NSID", entry.nsid);
  });
  return writer.bytes;
}

/** SMART / Health Information (02h), 512 bytes. */
const SMART_BYTES = 512;
const SmartOffset = Object.freeze({
  COMPOSITE_TEMPERATURE: 1,
  AVAILABLE_SPARE: 3,
  AVAILABLE_SPARE_THRESHOLD: 4,
  DATA_UNITS_READ: 32,
  DATA_UNITS_WRITTEN: 48,
  HOST_READ_COMMANDS: 64,
  HOST_WRITE_COMMANDS: 80,
  POWER_CYCLES: 112,
  POWER_ON_HOURS: 128,
  ERROR_LOG_ENTRIES: 176,
});
/** A steady 37 °C: the model has no thermal behaviour. */
const COMPOSITE_TEMPERATURE_K = 310;
const AVAILABLE_SPARE_PERCENT = 100;
const AVAILABLE_SPARE_THRESHOLD_PERCENT = 10;
/** Data Units are thousands of 512-byte units, rounded up. */
const DATA_UNIT_BYTES = 512_000;
const MS_PER_HOUR = 3_600_000;

export function smartHealth(ctx: CommandContext): Uint8Array {
  const stats = ctx.statistics;
  const powerOnHours = Math.floor((ctx.clock.nowMs() - stats.poweredOnAtMs) / MS_PER_HOUR);
  return new BufferWriter(SMART_BYTES)
    .u16(SmartOffset.COMPOSITE_TEMPERATURE, "Composite Temperature", COMPOSITE_TEMPERATURE_K)
    .u8(SmartOffset.AVAILABLE_SPARE, "Available Spare", AVAILABLE_SPARE_PERCENT)
    .u8(SmartOffset.AVAILABLE_SPARE_THRESHOLD, "Available Spare Threshold", AVAILABLE_SPARE_THRESHOLD_PERCENT)
    .u128(
      SmartOffset.DATA_UNITS_READ,
      "Data Units Read",
      BigInt(Math.ceil(stats.bytesRead / DATA_UNIT_BYTES)),
    )
    .u128(
      SmartOffset.DATA_UNITS_WRITTEN,
      "Data Units Written",
      BigInt(Math.ceil(stats.bytesWritten / DATA_UNIT_BYTES)),
    )
    .u128(SmartOffset.HOST_READ_COMMANDS, "Host Read Commands", BigInt(stats.hostReadCommands))
    .u128(SmartOffset.HOST_WRITE_COMMANDS, "Host Write Commands", BigInt(stats.hostWriteCommands))
    .u128(SmartOffset.POWER_CYCLES, "Power Cycles", BigInt(stats.powerCycles))
    .u128(SmartOffset.POWER_ON_HOURS, "Power On Hours", BigInt(Math.max(0, powerOnHours)))
    .u128(SmartOffset.ERROR_LOG_ENTRIES, "Error Log Entries", BigInt(ctx.errorLog.totalErrors)).bytes;
}

/** Firmware Slot Information (03h), 512 bytes: AFI (active slot 1) and FRS1. */
const FIRMWARE_SLOT_BYTES = 512;
const FirmwareSlotOffset = Object.freeze({ AFI: 0, FRS1: 8 });
const FIRMWARE_REVISION_BYTES = 8;
const ACTIVE_SLOT = 1;

export function firmwareSlotInformation(ctx: CommandContext): Uint8Array {
  return new BufferWriter(FIRMWARE_SLOT_BYTES)
    .u8(FirmwareSlotOffset.AFI, "AFI", ACTIVE_SLOT)
    .ascii(FirmwareSlotOffset.FRS1, FIRMWARE_REVISION_BYTES, "FRS1", ctx.config.firmwareRevision).bytes;
}

/** Commands Supported and Effects (05h): ACS dwords at 0, IOCS dwords at 1024. */
const EFFECTS_BYTES = 4096;
const IO_COMMANDS_OFFSET = 1024;
const Effect = Object.freeze({ Supported: 1 << 0, LbaContentChange: 1 << 1 });

export function commandsSupportedAndEffects(adminOpcodes: readonly number[]): Uint8Array {
  const writer = new BufferWriter(EFFECTS_BYTES);
  for (const opcode of adminOpcodes) writer.u32(opcode * DWORD_BYTES, `ACS[${opcode}]`, Effect.Supported);
  for (const opcode of SUPPORTED_NVM_OPCODES) {
    const effects =
      Effect.Supported | (LBA_CHANGING_NVM_OPCODES.includes(opcode) ? Effect.LbaContentChange : 0);
    writer.u32(IO_COMMANDS_OFFSET + opcode * DWORD_BYTES, `IOCS[${opcode}]`, effects);
  }
  return writer.bytes;
}

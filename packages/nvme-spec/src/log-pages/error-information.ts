import { BufferReader } from "../buffer-reader.js";
import { BufferWriter } from "../buffer-writer.js";
import { NvmeSpecError } from "../errors.js";
import { dwordCodec, type Fields, uint } from "../layout.js";
import { readStruct, type StructValues, u8, u16, u32, u64, writeStruct } from "../struct.js";

/** LID 01h Error Information: an array of 64-byte entries (Base 2.1 §5.1.12.1.2, Fig. 206). */
export const ERROR_INFORMATION_ENTRY_SIZE = 64;

export const ERROR_INFORMATION_ENTRY_LAYOUT = Object.freeze({
  /** bytes 7:0 Error Count: unique, incrementing identifier; 0 = invalid entry */
  errorCount: u64(0),
  /** bytes 9:8 SQID: submission queue of the failed command */
  sqid: u16(8),
  /** bytes 11:10 CID: command identifier of the failed command */
  cid: u16(10),
  /** bytes 13:12 Status Field: bit 0 phase tag, bits 15:1 the status field */
  statusField: u16(12),
  /** bytes 15:14 Parameter Error Location: bits 7:0 byte, bits 10:8 bit in the command */
  parameterErrorLocation: u16(14),
  /** bytes 23:16 LBA: first LBA that saw the error */
  lba: u64(16),
  /** bytes 27:24 Namespace: NSID of the error */
  nsid: u32(24),
  /** byte 28 Vendor Specific Information Available: log page ID with more data, 0 = none */
  vendorSpecificLid: u8(28),
  /** byte 29 TRTYPE: transport type */
  trtype: u8(29),
  /** bytes 39:32 Command Specific Information */
  commandSpecificInformation: u64(32),
  /** bytes 41:40 Transport Type Specific Information */
  transportTypeSpecificInformation: u16(40),
});
export type ErrorInformationEntry = StructValues<typeof ERROR_INFORMATION_ENTRY_LAYOUT>;

/** Parameter Error Location (bytes 15:14): which byte and bit of the SQE was wrong; FFFFh = n/a. */
export const PARAMETER_ERROR_LOCATION_LAYOUT = Object.freeze({
  /** bits 7:0: byte offset in the SQE */
  byte: uint(7, 0),
  /** bits 10:8: bit within that byte */
  bit: uint(10, 8),
});
export type ParameterErrorLocation = Fields<typeof PARAMETER_ERROR_LOCATION_LAYOUT>;
export const parameterErrorLocationCodec = dwordCodec(
  "Parameter Error Location",
  PARAMETER_ERROR_LOCATION_LAYOUT,
);
export const PARAMETER_ERROR_LOCATION_NOT_APPLICABLE = 0xffff;

export function encodeErrorInformationLog(entries: readonly ErrorInformationEntry[]): Uint8Array {
  const writer = new BufferWriter(entries.length * ERROR_INFORMATION_ENTRY_SIZE);
  entries.forEach((entry, index) => {
    writeStruct(
      writer,
      `Error Information[${index}]`,
      ERROR_INFORMATION_ENTRY_LAYOUT,
      entry,
      index * ERROR_INFORMATION_ENTRY_SIZE,
    );
  });
  return writer.bytes;
}

export function decodeErrorInformationLog(data: Uint8Array): ErrorInformationEntry[] {
  if (data.length % ERROR_INFORMATION_ENTRY_SIZE !== 0) {
    throw new NvmeSpecError(
      "BUFFER_SIZE",
      "Error Information log",
      ERROR_INFORMATION_ENTRY_SIZE,
      `Error Information log length must be a multiple of ${ERROR_INFORMATION_ENTRY_SIZE} bytes, got ${data.length}`,
    );
  }
  const reader = new BufferReader(data, "Error Information log", data.length);
  const entries: ErrorInformationEntry[] = [];
  for (let offset = 0; offset < data.length; offset += ERROR_INFORMATION_ENTRY_SIZE) {
    entries.push(readStruct(reader, ERROR_INFORMATION_ENTRY_LAYOUT, offset));
  }
  return entries;
}

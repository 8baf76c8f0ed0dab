import { checkU64 } from "../bits.js";
import type { BpId } from "../boot-partition-ids.js";
import { BufferReader } from "../buffer-reader.js";
import { BufferWriter } from "../buffer-writer.js";
import { NvmeSpecError } from "../errors.js";
import { dwordCodec, type Fields, uint } from "../layout.js";
import { bootPartitionSizeBytes } from "../registers/bpinfo.js";
import { LogPageId } from "./ids.js";

/**
 * LID 15h Boot Partition log (Base 2.1 §5.1.12.1.21; docs/spec/boot-partitions.md §5). A 16-byte
 * header followed by the whole Boot Partition chosen by LSP bit 0, so BP byte N is at log offset N + 16.
 */

/** Size of the log header in bytes. */
export const BOOT_PARTITION_LOG_HEADER_SIZE = 16;

/** Byte offsets in the header (docs/spec/boot-partitions.md §5.2). */
export const BootPartitionLogOffset = Object.freeze({
  /** byte 0: Log Identifier, 15h */
  LID: 0,
  /** bytes 7:4: Boot Partition Information, BPINFO without BRS (MC-54) */
  BPINFO: 4,
});

/** Header bytes 7:4: BPINFO's BPSZ and ABPID; bits 30:15 reserved, BRS never included (MC-54). */
export const BOOT_PARTITION_LOG_BPINFO_LAYOUT = Object.freeze({
  /** bits 14:0 BPSZ: each Boot Partition's size, 128 KiB units */
  bpsz: uint(14, 0),
  /** bit 31 ABPID: active Boot Partition */
  abpid: uint(31, 31),
});
export type BootPartitionLogHeader = Fields<typeof BOOT_PARTITION_LOG_BPINFO_LAYOUT>;
export const bootPartitionLogBpinfoCodec = dwordCodec(
  "Boot Partition log BPINFO",
  BOOT_PARTITION_LOG_BPINFO_LAYOUT,
);

/** LSP bit 0 (CDW10 bit 8): the BP to read; LSP bits 6:1 are reserved and ignored (MC-52). */
export const BOOT_PARTITION_LSP_BPID_MASK = 0b1;

export function encodeBootPartitionLogHeader(header: BootPartitionLogHeader): Uint8Array {
  return new BufferWriter(BOOT_PARTITION_LOG_HEADER_SIZE)
    .u8(BootPartitionLogOffset.LID, "LID", LogPageId.BootPartition)
    .u32(BootPartitionLogOffset.BPINFO, "BPINFO", bootPartitionLogBpinfoCodec.encode(header)).bytes;
}

/** Decodes a header; the first byte must be 15h. Reserved bits (including BRS) are ignored. */
export function decodeBootPartitionLogHeader(bytes: Uint8Array): BootPartitionLogHeader {
  const reader = new BufferReader(bytes, "Boot Partition log header", BOOT_PARTITION_LOG_HEADER_SIZE);
  const lid = reader.u8(BootPartitionLogOffset.LID);
  if (lid !== LogPageId.BootPartition) {
    throw new NvmeSpecError(
      "BAD_IDENTIFIER",
      "Boot Partition log LID",
      LogPageId.BootPartition,
      `Boot Partition log byte 0 must be 15h, got ${lid.toString(16).padStart(2, "0")}h`,
    );
  }
  return bootPartitionLogBpinfoCodec.decode(reader.u32(BootPartitionLogOffset.BPINFO));
}

/** The log offset (LPO) of byte `bpByteOffset` of the Boot Partition: offset + 16. */
export function bootPartitionLogOffset(bpByteOffset: number | bigint): bigint {
  const offset = checkU64("Boot Partition byte offset", BigInt(bpByteOffset));
  return offset + BigInt(BOOT_PARTITION_LOG_HEADER_SIZE);
}

/** Total size of the log for a BPSZ: 16 + BPSZ x 128 KiB (MC-50). */
export function bootPartitionLogSize(bpsz: number): number {
  return BOOT_PARTITION_LOG_HEADER_SIZE + bootPartitionSizeBytes(bpsz);
}

/** The LSP value that selects a Boot Partition. */
export function bootPartitionLsp(bpid: BpId): number {
  return bpid & BOOT_PARTITION_LSP_BPID_MASK;
}

/** The BP a Get Log Page LSP selects; reserved LSP bits are ignored (MC-52). */
export function bootPartitionFromLsp(lsp: number): BpId {
  return (lsp & BOOT_PARTITION_LSP_BPID_MASK) as BpId;
}

import { BufferReader } from "../buffer-reader.js";
import { BufferWriter } from "../buffer-writer.js";
import { NvmeSpecError } from "../errors.js";
import { dwordCodec, type Fields, flag, uint } from "../layout.js";
import {
  bytes,
  checkEntryCount,
  readEntries,
  readStruct,
  type StructValues,
  u8,
  u16,
  u32,
  u64,
  u128,
  writeStruct,
} from "../struct.js";
import { IDENTIFY_DATA_SIZE } from "./cns.js";

/**
 * Identify Namespace data structure for the NVM Command Set, CNS 00h, 4096 bytes (NVM Command
 * Set 1.1 §4.1.5.1, Fig. 114). Fields not listed encode as 0.
 */
export const IDENTIFY_NAMESPACE_LAYOUT = Object.freeze({
  /** bytes 7:0 NSZE: namespace size, logical blocks */
  nsze: u64(0),
  /** bytes 15:8 NCAP: namespace capacity, logical blocks */
  ncap: u64(8),
  /** bytes 23:16 NUSE: namespace utilization, logical blocks */
  nuse: u64(16),
  /** byte 24 NSFEAT: namespace features */
  nsfeat: u8(24),
  /** byte 25 NLBAF: number of LBA formats, 0's based */
  nlbaf: u8(25),
  /** byte 26 FLBAS: formatted LBA size, see FLBAS_LAYOUT */
  flbas: u8(26),
  /** byte 27 MC: metadata capabilities */
  mc: u8(27),
  /** byte 28 DPC: end-to-end data protection capabilities */
  dpc: u8(28),
  /** byte 29 DPS: end-to-end data protection type settings */
  dps: u8(29),
  /** byte 30 NMIC: namespace multi-path I/O and sharing capabilities */
  nmic: u8(30),
  /** byte 31 RESCAP: reservation capabilities */
  rescap: u8(31),
  /** byte 32 FPI: format progress indicator */
  fpi: u8(32),
  /** byte 33 DLFEAT: deallocate logical block features */
  dlfeat: u8(33),
  /** bytes 35:34 NAWUN: namespace atomic write unit normal, logical blocks, 0's based */
  nawun: u16(34),
  /** bytes 37:36 NAWUPF: namespace atomic write unit power fail, 0's based */
  nawupf: u16(36),
  /** bytes 39:38 NACWU: namespace atomic compare and write unit, 0's based */
  nacwu: u16(38),
  /** bytes 41:40 NABSN: namespace atomic boundary size normal, 0's based */
  nabsn: u16(40),
  /** bytes 43:42 NABO: namespace atomic boundary offset, logical blocks */
  nabo: u16(42),
  /** bytes 45:44 NABSPF: namespace atomic boundary size power fail, 0's based */
  nabspf: u16(44),
  /** bytes 47:46 NOIOB: namespace optimal I/O boundary, logical blocks */
  noiob: u16(46),
  /** bytes 63:48 NVMCAP: NVM capacity, bytes */
  nvmcap: u128(48),
  /** bytes 65:64 NPWG: preferred write granularity, logical blocks, 0's based */
  npwg: u16(64),
  /** bytes 67:66 NPWA: preferred write alignment, logical blocks, 0's based */
  npwa: u16(66),
  /** bytes 69:68 NPDG: preferred deallocate granularity, 0's based */
  npdg: u16(68),
  /** bytes 71:70 NPDA: preferred deallocate alignment, 0's based */
  npda: u16(70),
  /** bytes 73:72 NOWS: optimal write size, logical blocks, 0's based */
  nows: u16(72),
  /** bytes 95:92 ANAGRPID: ANA group identifier */
  anagrpid: u32(92),
  /** byte 99 NSATTR: namespace attributes, bit 0 write protected */
  nsattr: u8(99),
  /** bytes 101:100 NVMSETID: NVM Set identifier */
  nvmsetid: u16(100),
  /** bytes 103:102 ENDGID: endurance group identifier */
  endgid: u16(102),
  /** bytes 119:104 NGUID: namespace globally unique identifier */
  nguid: bytes(104, 16),
  /** bytes 127:120 EUI64: IEEE extended unique identifier */
  eui64: bytes(120, 8),
});

/** LBA Format n at 128 + 4n, n = 0..63 (bytes 383:128). */
export const LBA_FORMATS_OFFSET = 128;
export const LBA_FORMAT_SIZE = 4;
export const LBA_FORMATS_MAX = 64;

/** One LBA Format data structure (NVM Command Set §4.1.5.1, Fig. 116). */
export const LBA_FORMAT_LAYOUT = Object.freeze({
  /** bits 15:0 MS: metadata size, bytes per logical block */
  ms: uint(15, 0),
  /** bits 23:16 LBADS: LBA data size, 2^n bytes; 9 or more (512 B) */
  lbads: uint(23, 16),
  /** bits 25:24 RP: relative performance, 00b best */
  rp: uint(25, 24),
});
export type LbaFormat = Fields<typeof LBA_FORMAT_LAYOUT>;
export const lbaFormatCodec = dwordCodec("LBAF", LBA_FORMAT_LAYOUT);

/** FLBAS, byte 26: the format in use is index (upper << 4) | lower. */
export const FLBAS_LAYOUT = Object.freeze({
  /** bits 3:0: LBA format index, low 4 bits */
  formatLow: uint(3, 0),
  /** bit 4: metadata transferred at the end of the data LBA (extended LBA) */
  extendedMetadata: flag(4),
  /** bits 6:5: LBA format index, high 2 bits (only when NLBAF > 16) */
  formatHigh: uint(6, 5),
});
export const flbasCodec = dwordCodec("FLBAS", FLBAS_LAYOUT);
const FLBAS_LOW_BITS = 4;

/** Smallest LBADS: 512-byte logical blocks. */
export const LBADS_MIN = 9;
/** LBADS of the lab's default 4 KiB format. */
export const LBADS_4K = 12;

export type IdentifyNamespace = StructValues<typeof IDENTIFY_NAMESPACE_LAYOUT> & {
  /** LBAF0..LBAF(NLBAF); the array length is NLBAF + 1 */
  lbaf: LbaFormat[];
};

export function encodeFlbas(formatIndex: number, extendedMetadata = false): number {
  return flbasCodec.encode({
    formatLow: formatIndex % 2 ** FLBAS_LOW_BITS,
    formatHigh: Math.floor(formatIndex / 2 ** FLBAS_LOW_BITS),
    extendedMetadata,
  });
}

export function flbasFormatIndex(flbas: number): number {
  const { formatLow, formatHigh } = flbasCodec.decode(flbas);
  return formatHigh * 2 ** FLBAS_LOW_BITS + formatLow;
}

/** The formatted logical block size in bytes of a namespace. */
export function logicalBlockSizeBytes(ns: Pick<IdentifyNamespace, "flbas" | "lbaf">): number {
  const index = flbasFormatIndex(ns.flbas);
  const format = ns.lbaf[index];
  if (format === undefined) {
    throw new NvmeSpecError(
      "FIELD_RANGE",
      "FLBAS",
      ns.lbaf.length - 1,
      `FLBAS selects LBA format ${index}, past NLBAF`,
    );
  }
  return 2 ** format.lbads;
}

/** Defaults: an empty namespace with one LBA format of 4 KiB and no metadata. */
export const IDENTIFY_NAMESPACE_DEFAULTS: Readonly<IdentifyNamespace> = Object.freeze({
  nsze: 0n,
  ncap: 0n,
  nuse: 0n,
  nsfeat: 0,
  nlbaf: 0,
  flbas: 0,
  mc: 0,
  dpc: 0,
  dps: 0,
  nmic: 0,
  rescap: 0,
  fpi: 0,
  dlfeat: 0,
  nawun: 0,
  nawupf: 0,
  nacwu: 0,
  nabsn: 0,
  nabo: 0,
  nabspf: 0,
  noiob: 0,
  nvmcap: 0n,
  npwg: 0,
  npwa: 0,
  npdg: 0,
  npda: 0,
  nows: 0,
  anagrpid: 0,
  nsattr: 0,
  nvmsetid: 0,
  endgid: 0,
  nguid: new Uint8Array(16),
  eui64: new Uint8Array(8),
  lbaf: [{ ms: 0, lbads: LBADS_4K, rp: 0 }],
});

export function encodeIdentifyNamespace(overrides: Partial<IdentifyNamespace> = {}): Uint8Array {
  const values: IdentifyNamespace = { ...IDENTIFY_NAMESPACE_DEFAULTS, ...overrides };
  checkEntryCount(
    "Identify Namespace.LBAF",
    values.lbaf.length,
    values.nlbaf + 1,
    LBA_FORMATS_MAX,
    "NLBAF + 1",
  );
  const writer = new BufferWriter(IDENTIFY_DATA_SIZE);
  writeStruct(writer, "Identify Namespace", IDENTIFY_NAMESPACE_LAYOUT, values);
  values.lbaf.forEach((format, index) => {
    const offset = LBA_FORMATS_OFFSET + index * LBA_FORMAT_SIZE;
    writer.u32(offset, `Identify Namespace.LBAF${index}`, lbaFormatCodec.encode(format));
  });
  return writer.bytes;
}

export function decodeIdentifyNamespace(data: Uint8Array): IdentifyNamespace {
  const reader = new BufferReader(data, "Identify Namespace", IDENTIFY_DATA_SIZE);
  const fields = readStruct(reader, IDENTIFY_NAMESPACE_LAYOUT);
  const lbaf = readEntries(fields.nlbaf + 1, LBA_FORMATS_MAX, (index) =>
    lbaFormatCodec.decode(reader.u32(LBA_FORMATS_OFFSET + index * LBA_FORMAT_SIZE)),
  );
  return Object.assign(fields, { lbaf });
}

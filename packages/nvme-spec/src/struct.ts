import type { BufferReader } from "./buffer-reader.js";
import { ASCII_NUL, type BufferWriter } from "./buffer-writer.js";
import { bufferSizeError, NvmeSpecError } from "./errors.js";

/**
 * Declarative byte layouts for data structures (Identify, log pages): each field is a byte
 * offset and a type, written next to a comment citing the spec figure. Encode and decode are
 * generated from the same table, so a structure is described once.
 */
export type ByteFieldType = "u8" | "u16" | "u32" | "u64" | "u128" | "ascii" | "nqn" | "bytes";

export interface ByteField<T extends ByteFieldType = ByteFieldType> {
  readonly offset: number;
  readonly type: T;
  /** Bytes the field occupies (fixed by the type for integers). */
  readonly length: number;
}

export type StructLayout = Readonly<Record<string, ByteField>>;

type ValueOf<F> =
  F extends ByteField<"u8" | "u16" | "u32">
    ? number
    : F extends ByteField<"u64" | "u128">
      ? bigint
      : F extends ByteField<"ascii" | "nqn">
        ? string
        : Uint8Array;

export type StructValues<L extends StructLayout> = { -readonly [K in keyof L]: ValueOf<L[K]> };

const INTEGER_LENGTH = { u8: 1, u16: 2, u32: 4, u64: 8, u128: 16 } as const;

type IntegerFieldType = keyof typeof INTEGER_LENGTH;

/** A field factory for one integer width: the length always follows from the type. */
function integerField<T extends IntegerFieldType>(type: T): (offset: number) => ByteField<T> {
  return (offset) => ({ offset, type, length: INTEGER_LENGTH[type] });
}

export const u8 = integerField("u8");
export const u16 = integerField("u16");
export const u32 = integerField("u32");
export const u64 = integerField("u64");
export const u128 = integerField("u128");
/** ASCII padded with spaces (SN, MN, FR, firmware revisions). */
export const ascii = (offset: number, length: number): ByteField<"ascii"> => ({
  offset,
  type: "ascii",
  length,
});
/** UTF-8-free NQN text padded with NULs (SUBNQN). */
export const nqn = (offset: number, length: number): ByteField<"nqn"> => ({ offset, type: "nqn", length });
/** Opaque bytes (NGUID, EUI64, FGUID). */
export const bytes = (offset: number, length: number): ByteField<"bytes"> => ({
  offset,
  type: "bytes",
  length,
});

type FieldIo = {
  write(writer: BufferWriter, name: string, field: ByteField, value: unknown): void;
  read(reader: BufferReader, field: ByteField): unknown;
};

/** How each field type is written and read; one row per type keeps the two directions side by side. */
const FIELD_IO: Readonly<Record<ByteFieldType, FieldIo>> = {
  u8: { write: (w, n, f, v) => w.u8(f.offset, n, v as number), read: (r, f) => r.u8(f.offset) },
  u16: { write: (w, n, f, v) => w.u16(f.offset, n, v as number), read: (r, f) => r.u16(f.offset) },
  u32: { write: (w, n, f, v) => w.u32(f.offset, n, v as number), read: (r, f) => r.u32(f.offset) },
  u64: { write: (w, n, f, v) => w.u64(f.offset, n, v as bigint), read: (r, f) => r.u64(f.offset) },
  u128: { write: (w, n, f, v) => w.u128(f.offset, n, v as bigint), read: (r, f) => r.u128(f.offset) },
  ascii: {
    write: (w, n, f, v) => w.ascii(f.offset, f.length, n, v as string),
    read: (r, f) => r.ascii(f.offset, f.length),
  },
  nqn: {
    write: (w, n, f, v) => w.ascii(f.offset, f.length, n, v as string, ASCII_NUL),
    read: (r, f) => r.ascii(f.offset, f.length),
  },
  bytes: {
    write: (w, n, f, v) => {
      const data = v as Uint8Array;
      if (data.length !== f.length) throw bufferSizeError(n, data.length, f.length);
      w.raw(f.offset, data);
    },
    read: (r, f) => r.slice(f.offset, f.length),
  },
};

/** Writes every field of `values` into `writer`; names in errors are `${structure}.${FIELD}`. */
export function writeStruct<L extends StructLayout>(
  writer: BufferWriter,
  structure: string,
  layout: L,
  values: StructValues<L>,
  baseOffset = 0,
): void {
  for (const [key, field] of Object.entries(layout)) {
    const placed = baseOffset === 0 ? field : { ...field, offset: field.offset + baseOffset };
    FIELD_IO[field.type].write(
      writer,
      `${structure}.${key.toUpperCase()}`,
      placed,
      (values as Record<string, unknown>)[key],
    );
  }
}

export function readStruct<L extends StructLayout>(
  reader: BufferReader,
  layout: L,
  baseOffset = 0,
): StructValues<L> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(layout)) {
    out[key] = FIELD_IO[field.type].read(
      reader,
      baseOffset === 0 ? field : { ...field, offset: field.offset + baseOffset },
    );
  }
  return out as StructValues<L>;
}

/**
 * Throws unless a repeated part of a structure holds exactly `expected` entries (at most `max`),
 * e.g. NPSS + 1 power state descriptors or NLBAF + 1 LBA formats.
 */
export function checkEntryCount(
  field: string,
  actual: number,
  expected: number,
  max: number,
  rule: string,
): void {
  if (actual !== expected || actual > max) {
    throw new NvmeSpecError(
      "FIELD_RANGE",
      field,
      expected,
      `${field} must hold ${rule} = ${expected} entries (at most ${max}), got ${actual}`,
    );
  }
}

/** Reads `count` (capped at `max`) entries of a repeated part of a structure. */
export function readEntries<T>(count: number, max: number, readEntry: (index: number) => T): T[] {
  const entries: T[] = [];
  for (let index = 0; index < Math.min(count, max); index++) entries.push(readEntry(index));
  return entries;
}

/**
 * A Namespace List (Base 2.1 §4.6.1; also the Changed Namespace List log): u32 NSIDs from byte
 * 0, in order, up to the first zero entry or `maxEntries`.
 */
export function readNsidList(reader: BufferReader, maxEntries: number): number[] {
  const nsids: number[] = [];
  for (let index = 0; index < maxEntries; index++) {
    const nsid = reader.u32(index * INTEGER_LENGTH.u32);
    if (nsid === 0) break;
    nsids.push(nsid);
  }
  return nsids;
}

import type { BufferReader } from "./buffer-reader.js";
import { ASCII_NUL, type BufferWriter } from "./buffer-writer.js";
import { bufferSizeError } from "./errors.js";

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

export const u8 = (offset: number): ByteField<"u8"> => ({ offset, type: "u8", length: INTEGER_LENGTH.u8 });
export const u16 = (offset: number): ByteField<"u16"> => ({
  offset,
  type: "u16",
  length: INTEGER_LENGTH.u16,
});
export const u32 = (offset: number): ByteField<"u32"> => ({
  offset,
  type: "u32",
  length: INTEGER_LENGTH.u32,
});
export const u64 = (offset: number): ByteField<"u64"> => ({
  offset,
  type: "u64",
  length: INTEGER_LENGTH.u64,
});
export const u128 = (offset: number): ByteField<"u128"> => ({
  offset,
  type: "u128",
  length: INTEGER_LENGTH.u128,
});
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

function writeField(writer: BufferWriter, name: string, field: ByteField, value: unknown): void {
  switch (field.type) {
    case "u8":
      writer.u8(field.offset, name, value as number);
      return;
    case "u16":
      writer.u16(field.offset, name, value as number);
      return;
    case "u32":
      writer.u32(field.offset, name, value as number);
      return;
    case "u64":
      writer.u64(field.offset, name, value as bigint);
      return;
    case "u128":
      writer.u128(field.offset, name, value as bigint);
      return;
    case "ascii":
      writer.ascii(field.offset, field.length, name, value as string);
      return;
    case "nqn":
      writer.ascii(field.offset, field.length, name, value as string, ASCII_NUL);
      return;
    case "bytes": {
      const data = value as Uint8Array;
      if (data.length !== field.length) throw bufferSizeError(name, data.length, field.length);
      writer.raw(field.offset, data);
      return;
    }
  }
}

function readField(reader: BufferReader, field: ByteField): unknown {
  switch (field.type) {
    case "u8":
      return reader.u8(field.offset);
    case "u16":
      return reader.u16(field.offset);
    case "u32":
      return reader.u32(field.offset);
    case "u64":
      return reader.u64(field.offset);
    case "u128":
      return reader.u128(field.offset);
    case "ascii":
    case "nqn":
      return reader.ascii(field.offset, field.length);
    case "bytes":
      return reader.slice(field.offset, field.length);
  }
}

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
    writeField(writer, `${structure}.${key.toUpperCase()}`, placed, (values as Record<string, unknown>)[key]);
  }
}

export function readStruct<L extends StructLayout>(
  reader: BufferReader,
  layout: L,
  baseOffset = 0,
): StructValues<L> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(layout)) {
    out[key] = readField(reader, baseOffset === 0 ? field : { ...field, offset: field.offset + baseOffset });
  }
  return out as StructValues<L>;
}

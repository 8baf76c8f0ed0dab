import {
  type BitRange,
  bitRange,
  checkU64,
  readBits,
  readBits64,
  toU32,
  U32_MAX,
  U64_MAX,
  writeBits,
  writeBits64,
} from "./bits.js";
import { NvmeSpecError } from "./errors.js";

/**
 * Declarative field tables for dwords and registers. A module lists its fields once (bit range
 * plus a one-line comment citing the spec), and gets a typed decode and a checked encode from
 * that table, so the table is the single place to compare against the spec figure.
 */
export interface UintField extends BitRange {
  readonly kind: "uint";
}
export interface FlagField extends BitRange {
  readonly kind: "flag";
}
export type FieldSpec = UintField | FlagField;
export type Layout = Readonly<Record<string, FieldSpec>>;

/** The decoded form of a layout: flags become booleans, wider fields numbers. */
export type Fields<L extends Layout> = {
  -readonly [K in keyof L]: L[K] extends FlagField ? boolean : number;
};

/** A field spanning bits msb:lsb, read as an unsigned number. */
export function uint(msb: number, lsb: number): UintField {
  return Object.freeze({ ...bitRange(msb, lsb), kind: "uint" });
}

/** A one-bit field read as a boolean. */
export function flag(position: number): FlagField {
  return Object.freeze({ ...bitRange(position, position), kind: "flag" });
}

export interface DwordCodec<L extends Layout> {
  readonly name: string;
  readonly layout: L;
  /** Bits no field covers: reserved, ignored by decode and written as 0 by encode. */
  readonly reservedMask: number;
  decode(value: number): Fields<L>;
  /** Writes the decoded fields into `target` (no intermediate object; for hot parsers). */
  decodeInto<T extends object>(value: number, target: T): T & Fields<L>;
  /** Omitted fields are 0, which is each field's reset value for registers. */
  encode(fields: Partial<Fields<L>>): number;
  /** The reserved bits that are set in `value` (0 when the value is clean). */
  reservedBits(value: number): number;
}

export interface QwordCodec<L extends Layout> {
  readonly name: string;
  readonly layout: L;
  readonly reservedMask: bigint;
  decode(value: bigint): Fields<L>;
  encode(fields: Partial<Fields<L>>): bigint;
  reservedBits(value: bigint): bigint;
}

/** A layout entry with its error name ("BPRSEL.BPROF") computed once, not per call. */
type NamedField = { readonly key: string; readonly spec: FieldSpec; readonly fieldName: string };

function namedFields(structure: string, layout: Layout): readonly NamedField[] {
  return Object.entries(layout).map(([key, spec]) => ({
    key,
    spec,
    fieldName: `${structure}.${key.toUpperCase()}`,
  }));
}

function numericValue(field: NamedField, value: unknown): number {
  if (field.spec.kind === "flag") {
    if (typeof value !== "boolean") {
      throw new NvmeSpecError(
        "FIELD_RANGE",
        field.fieldName,
        "boolean",
        `${field.fieldName} must be a boolean, got ${String(value)}`,
      );
    }
    return value ? 1 : 0;
  }
  return value as number;
}

export function dwordCodec<L extends Layout>(name: string, layout: L): DwordCodec<L> {
  const fields = namedFields(name, layout);
  let covered = 0;
  for (const { spec } of fields) covered += spec.max * 2 ** spec.lsb;
  const reservedMask = (U32_MAX - covered) >>> 0;

  function decodeInto<T extends object>(input: number, target: T): T & Fields<L> {
    const value = toU32(name, input);
    const out = target as Record<string, number | boolean>;
    for (const { key, spec } of fields) {
      const raw = readBits(value, spec);
      out[key] = spec.kind === "flag" ? raw === 1 : raw;
    }
    return target as T & Fields<L>;
  }

  return Object.freeze({
    name,
    layout,
    reservedMask,
    decode: (input: number): Fields<L> => decodeInto(input, {}),
    decodeInto,
    encode(values: Partial<Fields<L>>): number {
      let value = 0;
      for (const field of fields) {
        const given = (values as Record<string, unknown>)[field.key];
        if (given !== undefined) value += writeBits(field.fieldName, numericValue(field, given), field.spec);
      }
      return value;
    },
    reservedBits: (value: number): number => (toU32(name, value) & reservedMask) >>> 0,
  });
}

export function qwordCodec<L extends Layout>(name: string, layout: L): QwordCodec<L> {
  const fields = namedFields(name, layout);
  let covered = 0n;
  for (const { spec } of fields) covered |= BigInt(spec.max) << BigInt(spec.lsb);
  const reservedMask = ~covered & U64_MAX;
  return Object.freeze({
    name,
    layout,
    reservedMask,
    decode(value: bigint): Fields<L> {
      checkU64(name, value);
      const out: Record<string, number | boolean> = {};
      for (const { key, spec } of fields) {
        const raw = readBits64(value, spec);
        out[key] = spec.kind === "flag" ? raw === 1 : raw;
      }
      return out as Fields<L>;
    },
    encode(values: Partial<Fields<L>>): bigint {
      let value = 0n;
      for (const field of fields) {
        const given = (values as Record<string, unknown>)[field.key];
        if (given !== undefined)
          value |= writeBits64(field.fieldName, numericValue(field, given), field.spec);
      }
      return value;
    },
    reservedBits: (value: bigint): bigint => checkU64(name, value) & reservedMask,
  });
}

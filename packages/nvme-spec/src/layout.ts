import {
  type BitRange,
  bitRange,
  checkU64,
  readBits,
  readBits64,
  toU32,
  U32_MAX,
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

function fieldName(structure: string, key: string): string {
  return `${structure}.${key.toUpperCase()}`;
}

function numericValue(structure: string, key: string, spec: FieldSpec, value: unknown): number {
  if (spec.kind === "flag") {
    if (typeof value !== "boolean") {
      const field = fieldName(structure, key);
      throw new NvmeSpecError(
        "FIELD_RANGE",
        field,
        "boolean",
        `${field} must be a boolean, got ${String(value)}`,
      );
    }
    return value ? 1 : 0;
  }
  return value as number;
}

export function dwordCodec<L extends Layout>(name: string, layout: L): DwordCodec<L> {
  const entries = Object.entries(layout);
  let covered = 0;
  for (const [, spec] of entries) covered += spec.max * 2 ** spec.lsb;
  const reservedMask = (U32_MAX - covered) >>> 0;
  return Object.freeze({
    name,
    layout,
    reservedMask,
    decode(input: number): Fields<L> {
      const value = toU32(name, input);
      const out: Record<string, number | boolean> = {};
      for (const [key, spec] of entries) {
        const raw = readBits(value, spec);
        out[key] = spec.kind === "flag" ? raw === 1 : raw;
      }
      return out as Fields<L>;
    },
    encode(fields: Partial<Fields<L>>): number {
      let value = 0;
      for (const [key, spec] of entries) {
        const given = (fields as Record<string, unknown>)[key];
        if (given === undefined) continue;
        value += writeBits(fieldName(name, key), numericValue(name, key, spec, given), spec);
      }
      return value;
    },
    reservedBits(value: number): number {
      return (toU32(name, value) & reservedMask) >>> 0;
    },
  });
}

export function qwordCodec<L extends Layout>(name: string, layout: L): QwordCodec<L> {
  const entries = Object.entries(layout);
  let covered = 0n;
  for (const [, spec] of entries) covered |= BigInt(spec.max) << BigInt(spec.lsb);
  const reservedMask = ~covered & 0xffff_ffff_ffff_ffffn;
  return Object.freeze({
    name,
    layout,
    reservedMask,
    decode(value: bigint): Fields<L> {
      checkU64(name, value);
      const out: Record<string, number | boolean> = {};
      for (const [key, spec] of entries) {
        const raw = readBits64(value, spec);
        out[key] = spec.kind === "flag" ? raw === 1 : raw;
      }
      return out as Fields<L>;
    },
    encode(fields: Partial<Fields<L>>): bigint {
      let value = 0n;
      for (const [key, spec] of entries) {
        const given = (fields as Record<string, unknown>)[key];
        if (given === undefined) continue;
        value |= writeBits64(fieldName(name, key), numericValue(name, key, spec, given), spec);
      }
      return value;
    },
    reservedBits(value: bigint): bigint {
      return checkU64(name, value) & reservedMask;
    },
  });
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DwordCodec, Fields, Layout, QwordCodec } from "../src/index.js";
import * as spec from "../src/index.js";

/**
 * Every dword / qword codec the package exports, found by shape, so a codec added later is
 * covered without editing this file.
 */
function hasLayout(value: unknown): value is { layout: Layout; reservedMask: unknown } {
  return typeof value === "object" && value !== null && "layout" in value && "reservedMask" in value;
}

const exported = Object.entries(spec as Record<string, unknown>);
const dwordCodecs = exported.flatMap(
  ([name, value]): Array<[string, DwordCodec<Layout>]> =>
    hasLayout(value) && typeof value.reservedMask === "number" ? [[name, value as DwordCodec<Layout>]] : [],
);
const qwordCodecs = exported.flatMap(
  ([name, value]): Array<[string, QwordCodec<Layout>]> =>
    hasLayout(value) && typeof value.reservedMask === "bigint" ? [[name, value as QwordCodec<Layout>]] : [],
);

function fieldsArbitrary(layout: Layout): fc.Arbitrary<Fields<Layout>> {
  const record: Record<string, fc.Arbitrary<number | boolean>> = {};
  for (const [key, field] of Object.entries(layout)) {
    record[key] = field.kind === "flag" ? fc.boolean() : fc.integer({ min: 0, max: field.max });
  }
  return fc.record(record) as fc.Arbitrary<Fields<Layout>>;
}

/** The round-trip law, the same for both widths: decode(encode(fields)) returns the fields. */
function itDecodesWhatItEncodes<Word>(codec: {
  layout: Layout;
  encode(fields: Fields<Layout>): Word;
  decode(value: Word): Fields<Layout>;
}): void {
  it("decode(encode(fields)) returns the fields", () => {
    fc.assert(
      fc.property(fieldsArbitrary(codec.layout), (fields) => {
        expect(codec.decode(codec.encode(fields))).toEqual(fields);
      }),
    );
  });
}

describe("layout codecs (property)", () => {
  it("finds the codecs this file is meant to cover", () => {
    const names = dwordCodecs.map(([name]) => name);
    for (const expected of [
      "bpinfoCodec",
      "bprselCodec",
      "ccCodec",
      "bpWriteProtectionCodec",
      "statusFieldCodec",
    ]) {
      expect(names).toContain(expected);
    }
    expect(qwordCodecs.map(([name]) => name)).toContain("capCodec");
  });

  describe.each(dwordCodecs)("%s", (_name, codec) => {
    itDecodesWhatItEncodes(codec);

    it("ignores reserved bits on decode and encodes them as 0", () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (value) => {
          const clean = (value & ~codec.reservedMask) >>> 0;
          expect(codec.encode(codec.decode(value))).toBe(clean);
          expect(codec.reservedBits(value)).toBe((value & codec.reservedMask) >>> 0);
        }),
      );
    });

    it("rejects a field value one past its maximum, naming the field and the limit", () => {
      for (const [key, field] of Object.entries(codec.layout)) {
        if (field.kind === "flag") continue;
        const attempt = () => codec.encode({ [key]: field.max + 1 } as Partial<Fields<Layout>>);
        expect(attempt).toThrow(spec.NvmeSpecError);
        try {
          attempt();
        } catch (error) {
          const specError = error as spec.NvmeSpecError;
          expect(specError.code).toBe("FIELD_RANGE");
          expect(specError.field).toBe(`${codec.name}.${key.toUpperCase()}`);
          expect(specError.limit).toBe(field.max);
        }
      }
    });
  });

  describe.each(qwordCodecs)("%s", (_name, codec) => {
    itDecodesWhatItEncodes(codec);

    it("ignores reserved bits on decode", () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: spec.U64_MAX }), (value) => {
          expect(codec.encode(codec.decode(value))).toBe(value & ~codec.reservedMask & spec.U64_MAX);
        }),
      );
    });
  });
});

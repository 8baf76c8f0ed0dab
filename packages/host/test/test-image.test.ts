import { describe, expect, it } from "vitest";
import { testImage } from "../src/scenarios/helpers.js";

/** The generator as the scenarios define it (a 32-bit LCG, top byte), written out independently. */
function expectedImage(length: number, seed: number): number[] {
  const bytes: number[] = [];
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    bytes.push(state >>> 24);
  }
  return bytes;
}

describe("testImage", () => {
  it("gives the same deterministic bytes on every call, generated once or not", () => {
    expect(Array.from(testImage(64, 0x51))).toEqual(expectedImage(64, 0x51));
    expect(Array.from(testImage(64, 0x51))).toEqual(expectedImage(64, 0x51));
    expect(Array.from(testImage(32, 0x51))).toEqual(expectedImage(32, 0x51));
    expect(Array.from(testImage(64, 0x52))).not.toEqual(expectedImage(64, 0x51));
  });

  it("hands each caller its own copy: changing one image changes no later one", () => {
    const first = testImage(4096, 0xa7);
    first.fill(0);
    const second = testImage(4096, 0xa7);
    expect(second).not.toBe(first);
    expect(Array.from(second)).toEqual(expectedImage(4096, 0xa7));
  });

  it("still gives the right image after older ones were dropped from the cache", () => {
    for (let seed = 0; seed < 100; seed++) testImage(16, seed);
    expect(Array.from(testImage(16, 0))).toEqual(expectedImage(16, 0));
    expect(Array.from(testImage(16, 99))).toEqual(expectedImage(16, 99));
  });
});

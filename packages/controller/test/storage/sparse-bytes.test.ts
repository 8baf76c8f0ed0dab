import { describe, expect, it } from "vitest";
import { SparseBytes } from "../../src/sparse-bytes.js";
import { expectSameBytes, pattern } from "./store-contract.js";

const CHUNK = 64 * 1024;

describe("SparseBytes", () => {
  it("allocates only the chunks a write touches and reads the rest as zeros", () => {
    const bytes = new SparseBytes(1024 * CHUNK);
    expect(bytes.allocatedBytes).toBe(0);
    bytes.write(CHUNK - 2, pattern(4, 1));
    expect(bytes.allocatedBytes).toBe(2 * CHUNK);
    const back = new Uint8Array(8);
    bytes.read(CHUNK - 4, back);
    expect(Array.from(back)).toEqual([0, 0, ...pattern(4, 1), 0, 0]);
  });

  it("drops whole chunks on zero and clears partial ones in place", () => {
    const bytes = new SparseBytes(4 * CHUNK);
    bytes.write(0, pattern(3 * CHUNK, 2));
    bytes.zero(CHUNK - 10, CHUNK + 20);
    expect(bytes.allocatedBytes).toBe(2 * CHUNK);
    const back = new Uint8Array(3 * CHUNK);
    bytes.read(0, back);
    const expected = pattern(3 * CHUNK, 2);
    expected.fill(0, CHUNK - 10, 2 * CHUNK + 10);
    expectSameBytes(back, expected);
  });
});

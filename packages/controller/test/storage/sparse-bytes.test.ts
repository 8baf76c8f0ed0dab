import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../src/memory-store.js";
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

  it("clear() reads zeros everywhere, and a write into a reused chunk shows none of its old bytes", () => {
    const bytes = new SparseBytes(4 * CHUNK);
    bytes.write(0, pattern(2 * CHUNK, 3));
    bytes.clear();
    expect(bytes.allocatedBytes).toBe(0);
    const back = new Uint8Array(2 * CHUNK);
    bytes.read(0, back);
    expectSameBytes(back, new Uint8Array(2 * CHUNK));
    bytes.write(CHUNK + 100, pattern(8, 4));
    expect(bytes.allocatedBytes).toBe(CHUNK);
    bytes.read(0, back);
    const expected = new Uint8Array(2 * CHUNK);
    expected.set(pattern(8, 4), CHUNK + 100);
    expectSameBytes(back, expected);
  });
});

describe("memory store staging reuse", () => {
  it("a commit hands the BP the staged bytes, and the next staging area starts empty and separate", () => {
    const { bootPartitions: store } = createMemoryStore({ bpSizeBytes: 2 * CHUNK });
    const readBp = (bpid: 0 | 1): Uint8Array => {
      const into = new Uint8Array(2 * CHUNK);
      store.readBp(bpid, 0, into);
      return into;
    };
    store.stageWrite(0, pattern(2 * CHUNK, 5));
    store.commitStaged(0);
    store.stageWrite(0, pattern(CHUNK, 6));
    store.commitStaged(1);
    store.stageWrite(0, pattern(4096, 7));
    store.discardStaged();
    store.stageWrite(4096, pattern(4096, 8));
    store.commitStaged(0);
    expectSameBytes(readBp(1), Uint8Array.from([...pattern(CHUNK, 6), ...new Uint8Array(CHUNK)]));
    const bp0 = new Uint8Array(2 * CHUNK);
    bp0.set(pattern(4096, 8), 4096);
    expectSameBytes(readBp(0), bp0);
    expect(store.stagedLength).toBe(0);
    store.stageWrite(0, pattern(16, 9));
    store.discardStaged();
    expectSameBytes(readBp(0), bp0);
  });
});

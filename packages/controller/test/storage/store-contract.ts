/**
 * The behaviour every BootPartitionStore / NamespaceStore must show, run against the in-memory
 * store and the state directory alike so both stay interchangeable behind the controller's ports.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { BootPartitionStore, NamespaceStore } from "../../src/ports.js";

export const BP_BYTES = 128 * 1024;
export const NS_BYTES = 64 * 1024;

export interface StoreUnderTest {
  bootPartitions: BootPartitionStore;
  namespace: NamespaceStore;
  close?(): void;
}

/** Bytes where every position differs from its neighbours, so a shifted copy cannot pass. */
export function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 17 + (i >>> 8)) & 0xff;
  return bytes;
}

/**
 * Byte-array equality that stays fast on 128 KiB buffers (a deep toEqual walks every element)
 * and still says where the first difference is.
 */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array, label = "bytes"): void {
  const same =
    actual.length === expected.length &&
    Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected);
  if (same) return;
  let first = 0;
  while (first < Math.min(actual.length, expected.length) && actual[first] === expected[first]) first++;
  expect.fail(
    `${label}: differ at offset ${first} (lengths ${actual.length} vs ${expected.length}, got ${actual[first]}, expected ${expected[first]})`,
  );
}

export function isAllZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

function readAll(store: BootPartitionStore, bpid: 0 | 1): Uint8Array {
  const bytes = new Uint8Array(store.bpSizeBytes);
  store.readBp(bpid, 0, bytes);
  return bytes;
}

export function describeStoreContract(
  name: string,
  open: (geometry: { bpSizeBytes: number; namespaceSizeBytes: number }) => StoreUnderTest,
): void {
  describe(`${name}: BootPartitionStore / NamespaceStore contract`, () => {
    const opened: StoreUnderTest[] = [];
    const fresh = (): StoreUnderTest => {
      const store = open({ bpSizeBytes: BP_BYTES, namespaceSizeBytes: NS_BYTES });
      opened.push(store);
      return store;
    };
    afterEach(() => {
      for (const store of opened.splice(0)) store.close?.();
    });

    it("starts with zeroed BPs, ABPID 0 and nothing staged", () => {
      const { bootPartitions } = fresh();
      expect(bootPartitions.bpSizeBytes).toBe(BP_BYTES);
      expect(bootPartitions.activeBpid).toBe(0);
      expect(bootPartitions.stagedLength).toBe(0);
      expect(readAll(bootPartitions, 0)).toSatisfy(isAllZero);
      expect(readAll(bootPartitions, 1)).toSatisfy(isAllZero);
    });

    it("keeps staged bytes out of the BP until commitStaged, then consumes them (MC-13)", () => {
      const { bootPartitions } = fresh();
      const image = pattern(BP_BYTES, 1);
      bootPartitions.stageWrite(0, image.subarray(0, 4096));
      bootPartitions.stageWrite(4096, image.subarray(4096));
      expect(bootPartitions.stagedLength).toBe(BP_BYTES);
      expect(readAll(bootPartitions, 1)).toSatisfy(isAllZero);
      bootPartitions.commitStaged(1);
      expectSameBytes(readAll(bootPartitions, 1), image);
      expect(readAll(bootPartitions, 0)).toSatisfy(isAllZero);
      expect(bootPartitions.stagedLength).toBe(0);
    });

    it("zero-fills past a short image instead of keeping the old tail (MC-21)", () => {
      const { bootPartitions } = fresh();
      bootPartitions.stageWrite(0, pattern(BP_BYTES, 2));
      bootPartitions.commitStaged(0);
      const short = pattern(8192, 3);
      bootPartitions.stageWrite(0, short);
      bootPartitions.commitStaged(0);
      const bp0 = readAll(bootPartitions, 0);
      expectSameBytes(bp0.subarray(0, 8192), short);
      expect(bp0.subarray(8192)).toSatisfy(isAllZero);
    });

    it("discardStaged forgets the image; a later commit writes only what was staged after it", () => {
      const { bootPartitions } = fresh();
      bootPartitions.stageWrite(0, pattern(4096, 4));
      bootPartitions.discardStaged();
      expect(bootPartitions.stagedLength).toBe(0);
      bootPartitions.stageWrite(0, pattern(1024, 5));
      bootPartitions.commitStaged(0);
      const bp0 = readAll(bootPartitions, 0);
      expectSameBytes(bp0.subarray(0, 1024), pattern(1024, 5));
      expect(bp0.subarray(1024)).toSatisfy(isAllZero);
    });

    it("copies what it is given: the caller may reuse its buffer as soon as stageWrite returns", () => {
      const { bootPartitions } = fresh();
      const image = pattern(64 * 1024, 14);
      const scratch = new Uint8Array(4096);
      for (let offset = 0; offset < image.length; offset += scratch.length) {
        scratch.set(image.subarray(offset, offset + scratch.length));
        bootPartitions.stageWrite(offset, scratch);
        scratch.fill(0xee);
      }
      bootPartitions.commitStaged(0);
      expectSameBytes(readAll(bootPartitions, 0).subarray(0, image.length), image);
    });

    it("reports stagedLength as the end of the furthest staged byte", () => {
      const { bootPartitions } = fresh();
      bootPartitions.stageWrite(8192, pattern(100, 6));
      expect(bootPartitions.stagedLength).toBe(8292);
      bootPartitions.stageWrite(0, pattern(10, 7));
      expect(bootPartitions.stagedLength).toBe(8292);
    });

    it("reads at any offset inside a BP", () => {
      const { bootPartitions } = fresh();
      const image = pattern(BP_BYTES, 8);
      bootPartitions.stageWrite(0, image);
      bootPartitions.commitStaged(0);
      const piece = new Uint8Array(777);
      bootPartitions.readBp(0, 70_001, piece);
      expectSameBytes(piece, image.subarray(70_001, 70_778));
      const empty = new Uint8Array(0);
      expect(() => bootPartitions.readBp(0, BP_BYTES, empty)).not.toThrow();
    });

    it("keeps ABPID as set", () => {
      const { bootPartitions } = fresh();
      bootPartitions.setActiveBpid(1);
      expect(bootPartitions.activeBpid).toBe(1);
      bootPartitions.setActiveBpid(0);
      expect(bootPartitions.activeBpid).toBe(0);
    });

    it("rejects bytes outside the BP and bad BP ids with typed errors", () => {
      const { bootPartitions } = fresh();
      expect(() => bootPartitions.stageWrite(BP_BYTES - 1, new Uint8Array(2))).toThrow(
        expect.objectContaining({ code: "STORAGE_OUT_OF_RANGE" }),
      );
      expect(() => bootPartitions.readBp(1, -1, new Uint8Array(1))).toThrow(
        expect.objectContaining({ code: "STORAGE_OUT_OF_RANGE" }),
      );
      expect(() => bootPartitions.readBp(0, BP_BYTES, new Uint8Array(1))).toThrow(/ends past the end/);
      expect(() => bootPartitions.readBp(2 as 0, 0, new Uint8Array(1))).toThrow(
        expect.objectContaining({ code: "STORAGE_INVALID_ARGUMENT", field: "bpid" }),
      );
      expect(() => bootPartitions.setActiveBpid(3 as 0)).toThrow(/bpid must be 0 or 1/);
      expect(bootPartitions.stagedLength).toBe(0);
    });

    it("stores namespace bytes, zeroes ranges and rejects out-of-range access", () => {
      const { namespace } = fresh();
      expect(namespace.sizeBytes).toBe(NS_BYTES);
      const data = pattern(NS_BYTES, 9);
      namespace.write(0, data);
      namespace.writeZeroes(1000, 5000);
      namespace.flush();
      const back = new Uint8Array(NS_BYTES);
      namespace.read(0, back);
      const expected = data.slice();
      expected.fill(0, 1000, 6000);
      expectSameBytes(back, expected);
      expect(() => namespace.write(NS_BYTES - 2, new Uint8Array(4))).toThrow(
        expect.objectContaining({ code: "STORAGE_OUT_OF_RANGE" }),
      );
      expect(() => namespace.writeZeroes(0, NS_BYTES + 1)).toThrow(/ends past the end/);
    });

    // timeout 0 = no time limit: this package's vitest config keeps the 5 s default, and 60 runs
    // of up to 24 file operations take longer than that on a loaded machine.
    it("matches a plain byte-array model under random stage/discard/commit/read sequences", {
      timeout: 0,
    }, () => {
      const operation = fc.oneof(
        fc.record({
          kind: fc.constant("stage" as const),
          offset: fc.nat(BP_BYTES - 1),
          length: fc.nat(9000),
          seed: fc.nat(255),
        }),
        // Pieces that continue the staged image, as a download sends them.
        fc.record({ kind: fc.constant("append" as const), length: fc.nat(9000), seed: fc.nat(255) }),
        fc.record({ kind: fc.constant("discard" as const) }),
        fc.record({ kind: fc.constant("commit" as const), bpid: fc.constantFrom(0 as const, 1 as const) }),
      );
      fc.assert(
        fc.property(fc.array(operation, { maxLength: 24 }), (operations) => {
          const { bootPartitions } = fresh();
          const model = {
            bps: [new Uint8Array(BP_BYTES), new Uint8Array(BP_BYTES)] as [Uint8Array, Uint8Array],
            staged: new Uint8Array(BP_BYTES),
            stagedLength: 0,
          };
          for (const op of operations) {
            if (op.kind === "stage" || op.kind === "append") {
              const offset = op.kind === "stage" ? op.offset : model.stagedLength;
              const length = Math.min(op.length, BP_BYTES - offset);
              const data = pattern(length, op.seed);
              bootPartitions.stageWrite(offset, data);
              model.staged.set(data, offset);
              model.stagedLength = Math.max(model.stagedLength, offset + length);
            } else if (op.kind === "discard") {
              bootPartitions.discardStaged();
              model.staged = new Uint8Array(BP_BYTES);
              model.stagedLength = 0;
            } else {
              bootPartitions.commitStaged(op.bpid);
              model.bps[op.bpid] = model.staged;
              model.staged = new Uint8Array(BP_BYTES);
              model.stagedLength = 0;
            }
            expect(bootPartitions.stagedLength).toBe(model.stagedLength);
          }
          expectSameBytes(readAll(bootPartitions, 0), model.bps[0]);
          expectSameBytes(readAll(bootPartitions, 1), model.bps[1]);
          for (const store of opened.splice(0)) store.close?.();
        }),
        { numRuns: 60 },
      );
    });
  });
}

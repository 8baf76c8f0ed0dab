import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../src/memory-store.js";
import { DEFAULT_NAMESPACE_SIZE_BYTES } from "../../src/store-geometry.js";
import { BP_BYTES, describeStoreContract, pattern } from "./store-contract.js";

describeStoreContract("createMemoryStore", (geometry) => createMemoryStore(geometry));

describe("createMemoryStore options", () => {
  it("defaults the namespace size and ABPID", () => {
    const { namespace, bootPartitions } = createMemoryStore({ bpSizeBytes: BP_BYTES });
    expect(namespace.sizeBytes).toBe(DEFAULT_NAMESPACE_SIZE_BYTES);
    expect(bootPartitions.activeBpid).toBe(0);
    expect(createMemoryStore({ bpSizeBytes: BP_BYTES, activeBpid: 1 }).bootPartitions.activeBpid).toBe(1);
  });

  it.each([
    [0, /positive integer/],
    [-BP_BYTES, /positive integer/],
    [1.5, /positive integer/],
    [BP_BYTES + 4096, /multiple of 131072/],
    [0x8000 * BP_BYTES, /at most 4294836224/],
  ])("rejects bpSizeBytes=%s naming the field and the rule", (bpSizeBytes, rule) => {
    expect(() => createMemoryStore({ bpSizeBytes })).toThrow(
      expect.objectContaining({ code: "STORAGE_INVALID_ARGUMENT", field: "bpSizeBytes" }),
    );
    expect(() => createMemoryStore({ bpSizeBytes })).toThrow(rule);
  });

  it("rejects a namespace that is not whole 4 KiB granules", () => {
    expect(() => createMemoryStore({ bpSizeBytes: BP_BYTES, namespaceSizeBytes: 1000 })).toThrow(
      /namespaceSizeBytes must be a multiple of 4096, got 1000/,
    );
    expect(() => createMemoryStore({ bpSizeBytes: BP_BYTES, activeBpid: 2 as 0 })).toThrow(
      /activeBpid must be 0 or 1/,
    );
  });

  it("accepts the largest BP (0x7FFF x 128 KiB) and reads its last byte without allocating it all", () => {
    const bpSizeBytes = 0x7fff * BP_BYTES;
    const { bootPartitions } = createMemoryStore({ bpSizeBytes });
    const tail = pattern(16, 1);
    bootPartitions.stageWrite(bpSizeBytes - 16, tail);
    bootPartitions.commitStaged(1);
    const back = new Uint8Array(16);
    bootPartitions.readBp(1, bpSizeBytes - 16, back);
    expect(back).toEqual(tail);
  });
});

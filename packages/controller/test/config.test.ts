import { describe, expect, it } from "vitest";
import { DEFAULT_CONTROLLER_CONFIG, resolveControllerConfig } from "../src/config.js";
import { NvmeController } from "../src/controller.js";
import { ControllerConfigError } from "../src/errors.js";
import { createMemoryStore } from "../src/memory-store.js";
import { FlatHostMemory } from "./harness.js";

describe("controller configuration", () => {
  it("follows the model-choices defaults (FWUG 01h, MDTS 7)", () => {
    expect(DEFAULT_CONTROLLER_CONFIG).toMatchObject({ fwug: 1, mdts: 7 });
    expect(resolveControllerConfig().rpmbProtection).toEqual({ enabled: false, locked: [true, true] });
  });

  const bad: Array<[string, object, RegExp]> = [
    ["fwug", { fwug: 256 }, /config.fwug must be an integer from 0 to 255, got 256/],
    ["mdts", { mdts: 0 }, /config.mdts must be an integer from 1 to 12, got 0/],
    [
      "serialNumber",
      { serialNumber: "x".repeat(21) },
      /config.serialNumber must be printable ASCII of at most 20/,
    ],
    ["modelNumber", { modelNumber: "é" }, /config.modelNumber must be printable ASCII/],
    ["maxIoQueues", { maxIoQueues: 0 }, /config.maxIoQueues must be an integer from 1/],
    ["maxQueueEntries", { maxQueueEntries: 1 }, /config.maxQueueEntries must be an integer from 2/],
    ["lbaSizeBytes", { lbaSizeBytes: 1024 }, /config.lbaSizeBytes must be one of 512, 4096/],
    [
      "rpmb.locked",
      { rpmb: { enabled: true, locked: [true] } },
      /config.rpmb.locked must be \[boolean, boolean\]/,
    ],
  ];
  for (const [field, partial, message] of bad) {
    it(`rejects a bad ${field} with an error naming the field and rule`, () => {
      expect(() => resolveControllerConfig(partial)).toThrow(message);
      expect(() => resolveControllerConfig(partial)).toThrow(ControllerConfigError);
    });
  }

  it("rejects a BP store whose size is not whole 128 KiB units", () => {
    const store = createMemoryStore({ bpSizeBytes: 128 * 1024 });
    const oddStore = { ...store.bootPartitions, bpSizeBytes: 128 * 1024 + 4096 };
    expect(() => new NvmeController({ hostMemory: new FlatHostMemory(), bootPartitions: oddStore })).toThrow(
      /bootPartitions.bpSizeBytes must be a whole number of 131072-byte units/,
    );
  });

  it("rejects a namespace that is not a whole number of LBAs", () => {
    const store = createMemoryStore({ bpSizeBytes: 128 * 1024 });
    expect(
      () =>
        new NvmeController({
          hostMemory: new FlatHostMemory(),
          bootPartitions: store.bootPartitions,
          namespace: { ...store.namespace, sizeBytes: 4097 },
        }),
    ).toThrow(/namespace.sizeBytes must be a positive multiple of the LBA size/);
  });
});

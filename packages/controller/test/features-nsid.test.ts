import {
  buildGetFeatures,
  buildIdentify,
  buildSetFeatures,
  Cns,
  decodeIdentifyController,
  FeatureId,
  IDENTIFY_DATA_SIZE,
} from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { createRig, type Rig, statusOf } from "./harness.js";

/**
 * Issue 8 item 5 / MC-35, MC-62: the NSID rule of Set/Get Features for controller-scope features,
 * as upstream QEMU's nvme_set_feature / nvme_get_feature apply it, for every FID the core supports.
 */

const BROADCAST = 0xffff_ffff;
const UNLOCK_BOTH = 0x09;

function enabledRig(): Rig {
  const rig = createRig();
  rig.host.enable();
  return rig;
}

function identifyNn(rig: Rig): number {
  const buffer = rig.memory.alloc(IDENTIFY_DATA_SIZE);
  expect(statusOf(rig.host.submit(buildIdentify({ cns: Cns.Controller, prp1: buffer })))).toBe("0h/00h");
  return decodeIdentifyController(rig.memory.read(buffer, IDENTIFY_DATA_SIZE)).nn;
}

/** A value each FID accepts, so only the NSID decides the outcome. */
const VALID_SET: readonly [string, number, number][] = [
  ["Arbitration", FeatureId.Arbitration, 0x0302_0103],
  ["Power Management", FeatureId.PowerManagement, 0],
  ["Temperature Threshold", FeatureId.TemperatureThreshold, 350],
  ["Volatile Write Cache", FeatureId.VolatileWriteCache, 1],
  ["Number of Queues", FeatureId.NumberOfQueues, 0x0003_0003],
  ["Interrupt Coalescing", FeatureId.InterruptCoalescing, 0x0a05],
  ["Async Event Config", FeatureId.AsyncEventConfig, 0x1ff],
  ["BP Write Protection (85h)", FeatureId.BootPartitionWriteProtection, UNLOCK_BOTH],
];

describe("Set/Get Features NSID rule for controller-scope features (MC-35, MC-62)", () => {
  it("Identify reports NN = 256, QEMU's NVME_MAX_NAMESPACES", () => {
    expect(identifyNn(enabledRig())).toBe(256);
  });

  it.each(VALID_SET)(
    "%s: Set with NSID 1..NN → 1h/0Fh, above NN → 0h/0Bh, 0h/FFFFFFFFh accepted",
    (_name, fid, cdw11) => {
      const rig = enabledRig();
      const nn = identifyNn(rig);
      const set = (nsid: number) => statusOf(rig.host.submit(buildSetFeatures({ fid, cdw11, nsid })));
      expect(set(1)).toBe("1h/0Fh");
      expect(set(nn)).toBe("1h/0Fh");
      expect(set(nn + 1)).toBe("0h/0Bh");
      expect(set(BROADCAST - 1)).toBe("0h/0Bh");
      expect(rig.controller.getBpLockStates()).toEqual({ bp0: 2, bp1: 2 });
      expect(set(BROADCAST)).toBe("0h/00h");
      expect(set(0)).toBe("0h/00h");
    },
  );

  it.each(VALID_SET)("%s: Get ignores NSID (1, NN+1, FFFFFFFFh all succeed)", (_name, fid) => {
    const rig = enabledRig();
    const nn = identifyNn(rig);
    for (const nsid of [0, 1, nn, nn + 1, BROADCAST]) {
      expect(statusOf(rig.host.submit(buildGetFeatures({ fid, nsid, cdw11: 0 }))), `NSID ${nsid}`).toBe(
        "0h/00h",
      );
    }
  });

  it("SV=1 comes first, even before the FID and NSID checks (1h/0Dh)", () => {
    const rig = enabledRig();
    const set = (fid: number, nsid: number) =>
      statusOf(rig.host.submit(buildSetFeatures({ fid, cdw11: 0, nsid, sv: true })));
    expect(set(FeatureId.BootPartitionWriteProtection, 1)).toBe("1h/0Dh");
    expect(set(FeatureId.Arbitration, BROADCAST - 1)).toBe("1h/0Dh");
    expect(set(0x11, 0)).toBe("1h/0Dh");
  });

  it("an unsupported FID → Invalid Field before the NSID check", () => {
    const rig = enabledRig();
    expect(statusOf(rig.host.submit(buildSetFeatures({ fid: 0x11, cdw11: 0, nsid: 1 })))).toBe("0h/02h");
    expect(statusOf(rig.host.submit(buildGetFeatures({ fid: 0x11, nsid: 1 })))).toBe("0h/02h");
  });

  it("FID 85h: the NSID check comes before the MC-30 field checks; a failure changes no lock", () => {
    const rig = enabledRig();
    const reserved = 0x05; // BP0WPS=101b: Invalid Field once the NSID passes
    const set = (nsid: number) =>
      statusOf(
        rig.host.submit(
          buildSetFeatures({ fid: FeatureId.BootPartitionWriteProtection, cdw11: reserved, nsid }),
        ),
      );
    expect(set(1)).toBe("1h/0Fh");
    expect(set(257)).toBe("0h/0Bh");
    expect(set(0)).toBe("0h/02h");
    expect(rig.controller.getBpLockStates()).toEqual({ bp0: 2, bp1: 2 });
  });
});

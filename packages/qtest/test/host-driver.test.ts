// The @bplab/host driver, unchanged, over qtest: queues in guest RAM, doorbells through BAR0,
// completions polled through b64read. This is the path every scenario takes on the QEMU target.

import { NvmeHostDriver } from "@bplab/host";
import { FeatureId } from "@bplab/nvme-spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQemuTarget, type QemuTarget } from "../src/libqos/nvme-target.js";
import { hasQemu } from "./helpers/qemu.js";

// QEMU's nvme controller reports the Red Hat PCI vendor id in Identify VID.
const PCI_VENDOR_REDHAT = 0x1b36;
const SERIAL = "bplab-qtest-drv";

describe.skipIf(!hasQemu)("NvmeHostDriver on the QEMU target (real QEMU)", () => {
  let target: QemuTarget;
  let driver: NvmeHostDriver;
  beforeAll(async () => {
    target = await createQemuTarget({ serial: SERIAL });
    driver = await NvmeHostDriver.attach(target);
  });
  afterAll(async () => {
    await target?.close();
  });

  it("attaches and reads Identify Controller over qtest", async () => {
    const identity = await driver.identifyController();
    expect(identity.vid).toBe(PCI_VENDOR_REDHAT);
    expect(identity.sn.trim()).toBe(SERIAL);
  });

  it("gets a completion for Get Features (Number of Queues) after a system_reset and reattach", async () => {
    await target.functionReset();
    await driver.reattach();
    // Number of Queues: every controller supports it, so any status but success is a transport fault.
    const outcome = await driver.getFeature(FeatureId.NumberOfQueues);
    expect(outcome.status).toBe("0h/00h");
  });

  it("brings the controller up again after a power cycle by restart", async () => {
    await target.powerCycle();
    await driver.reattach({ reallocate: true });
    expect((await driver.identifyController()).sn.trim()).toBe(SERIAL);
  });
});

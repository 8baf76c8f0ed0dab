// The device test shown in README.md, kept here so the README cannot drift from a working example.
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  launchQemu,
  NVME_PCI_CLASS_CODE,
  PciBus,
  PciWindowAllocator,
  PioConfigAccess,
  type QemuInstance,
} from "../src/index.js";
import { hasQemu } from "./helpers/qemu.js";

let qemu: QemuInstance | undefined;
beforeAll(async () => {
  if (hasQemu) qemu = await launchQemu({ machine: "q35", args: ["-device", "nvme,serial=demo"] });
});
afterAll(() => qemu?.close());

it.skipIf(!hasQemu)("README example: reads the NVMe version register through BAR0", async () => {
  const q = qemu as QemuInstance;
  const nvme = await new PciBus(q.qtest, new PioConfigAccess(q.qtest)).findByClass(NVME_PCI_CLASS_CODE);
  await nvme.assignBars(new PciWindowAllocator());
  await nvme.enable({ memory: true, busMaster: true });
  const bar0 = nvme.bar(0).address as bigint;
  const version = await q.qtest.readl(bar0 + 0x08n); // VS
  expect(version >>> 16).toBeGreaterThanOrEqual(1); // major version
});

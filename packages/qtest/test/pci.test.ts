// libqos-lite PCI against a real QEMU with an nvme device: discovery, BAR sizing, ECAM, MSI-X.
import { CapCss, capCodec, RegisterOffset } from "@bplab/nvme-spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchQemu, type QemuInstance } from "../src/launcher.js";
import { PciBus, PciWindowAllocator } from "../src/libqos/pci.js";
import { EcamConfigAccess, enableQ35Ecam, PioConfigAccess } from "../src/libqos/pci-config.js";
import {
  MSIX_CONTROL_ENABLE,
  MSIX_ENTRY_BYTES,
  MsixCapOffset,
  NVME_PCI_CLASS_CODE,
  PCI_CAP_ID_MSIX,
  PciCommand,
  PciConfigOffset,
} from "../src/libqos/pci-constants.js";
import { hasQemu } from "./helpers/qemu.js";

// QEMU's emulated NVMe controller (docs/specs/pci-ids: Red Hat vendor 1b36, device 0010).
const QEMU_NVME_IDS = { vendorId: 0x1b36, deviceId: 0x0010 };
const NVME_DEVICE = ["-device", "nvme,id=nvme0,serial=bplab-pci"];

describe.skipIf(!hasQemu)("PCI on q35 (real QEMU)", () => {
  let qemu: QemuInstance;
  beforeAll(async () => {
    qemu = await launchQemu({ machine: "q35", args: NVME_DEVICE });
  });
  afterAll(async () => {
    await qemu?.close();
  });

  it("finds the nvme function by class code 0x010802 through 0xCF8/0xCFC", async () => {
    const device = await new PciBus(qemu.qtest, new PioConfigAccess(qemu.qtest)).findByClass(
      NVME_PCI_CLASS_CODE,
    );
    expect(device).toMatchObject({ ...QEMU_NVME_IDS, classCode: NVME_PCI_CLASS_CODE });
  });

  it("finds the same function through ECAM once PCIEXBAR is enabled", async () => {
    const ecam = await enableQ35Ecam(qemu.qtest);
    expect(ecam).toBeInstanceOf(EcamConfigAccess);
    const viaEcam = await new PciBus(qemu.qtest, ecam).findByClass(NVME_PCI_CLASS_CODE);
    const viaPio = await new PciBus(qemu.qtest, new PioConfigAccess(qemu.qtest)).findByClass(
      NVME_PCI_CLASS_CODE,
    );
    expect(viaEcam.address).toEqual(viaPio.address);
    for (let offset = 0; offset < 0x40; offset += 4) {
      expect(await viaEcam.readConfig(offset, 4)).toBe(await viaPio.readConfig(offset, 4));
    }
  });

  it("reports a missing class code with PCI_DEVICE_NOT_FOUND", async () => {
    const bus = new PciBus(qemu.qtest, new PioConfigAccess(qemu.qtest));
    await expect(bus.findByClass(0x0c0330)).rejects.toMatchObject({ code: "PCI_DEVICE_NOT_FOUND" });
  });

  it("sizes BAR0 as a 64-bit, non-prefetchable, power-of-two memory BAR", async () => {
    const device = await new PciBus(qemu.qtest, new PioConfigAccess(qemu.qtest)).findByClass(
      NVME_PCI_CLASS_CODE,
    );
    const [bar0] = await device.sizeBars();
    expect(bar0).toMatchObject({ index: 0, kind: "mem64", prefetchable: false });
    const size = bar0?.size ?? 0n;
    expect(size >= 0x2000n && (size & (size - 1n)) === 0n).toBe(true);
  });

  it("assigns BAR0, enables MEM|MASTER and then reads CAP and VS through it", async () => {
    const device = await new PciBus(qemu.qtest, new PioConfigAccess(qemu.qtest)).findByClass(
      NVME_PCI_CLASS_CODE,
    );
    const windows = new PciWindowAllocator();
    await device.assignBars(windows);
    await device.enable({ memory: true, busMaster: true });
    const bar0 = device.bar(0).address as bigint;
    expect(bar0).toBe(windows.mmio.start);
    const low = await device.readConfig(PciConfigOffset.BAR0, 4);
    expect(BigInt((low & ~0xf) >>> 0)).toBe(bar0);
    const command = await device.readConfig(PciConfigOffset.COMMAND, 2);
    expect(command & (PciCommand.MEMORY | PciCommand.BUS_MASTER)).toBe(
      PciCommand.MEMORY | PciCommand.BUS_MASTER,
    );
    const cap = await qemu.qtest.readq(bar0 + BigInt(RegisterOffset.CAP));
    // CAP.CSS: the NVM command set; every QEMU nvme controller reports it.
    expect(capCodec.decode(cap).css & CapCss.Nvm).toBe(CapCss.Nvm);
    const version = await qemu.qtest.readl(bar0 + BigInt(RegisterOffset.VS));
    expect(version >>> 16).toBeGreaterThanOrEqual(1);
  });

  it("programs the MSI-X table and sets MSI-X Enable", async () => {
    const device = await new PciBus(qemu.qtest, new PioConfigAccess(qemu.qtest)).findByClass(
      NVME_PCI_CLASS_CODE,
    );
    await device.assignBars(new PciWindowAllocator());
    await device.enable({ memory: true, busMaster: true });
    expect(await device.msixTableSize()).toBeGreaterThanOrEqual(2);
    const vectors = [
      { address: 0xfee0_0000n, data: 0x41 },
      { address: 0xfee0_1000n, data: 0x42, masked: true },
    ];
    await device.enableMsix(vectors);
    const table = (await device.msixTableAddress()) as bigint;
    expect(await qemu.qtest.readl(table)).toBe(0xfee0_0000);
    expect(await qemu.qtest.readl(table + 8n)).toBe(0x41);
    expect(await qemu.qtest.readl(table + BigInt(MSIX_ENTRY_BYTES))).toBe(0xfee0_1000);
    expect(await qemu.qtest.readl(table + BigInt(MSIX_ENTRY_BYTES + 12))).toBe(1);
    const cap = (await device.findCapability(PCI_CAP_ID_MSIX)) as number;
    expect((await device.readConfig(cap + MsixCapOffset.CONTROL, 2)) & MSIX_CONTROL_ENABLE).toBe(
      MSIX_CONTROL_ENABLE,
    );
  });
});

describe.skipIf(!hasQemu)("PCI on pc (real QEMU)", () => {
  it("finds the nvme function through 0xCF8/0xCFC on i440FX", async () => {
    const qemu = await launchQemu({ machine: "pc", args: NVME_DEVICE });
    try {
      const device = await new PciBus(qemu.qtest, new PioConfigAccess(qemu.qtest)).findByClass(
        NVME_PCI_CLASS_CODE,
      );
      expect(device).toMatchObject(QEMU_NVME_IDS);
    } finally {
      await qemu.close();
    }
  });
});

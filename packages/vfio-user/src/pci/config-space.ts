/**
 * The PCI Express configuration space of the NVMe function (4 KiB, so QEMU keeps the PCIe
 * capability): type-0 header with class 010802h, a 64-bit BAR0, and the capability list
 * PM → MSI-X → PCIe (with FLR). Every register has a write mask; bits outside it keep their value,
 * so a guest can only change what real hardware lets it change.
 */

export const CONFIG_SPACE_BYTES = 4096;

/** Offsets and values of the standard header (PCI Local Bus 3.0, PCIe Base 4.0 §7.5). */
export const PciConfig = {
  vendorId: 0x00,
  deviceId: 0x02,
  command: 0x04,
  status: 0x06,
  revision: 0x08,
  classCode: 0x09,
  headerType: 0x0e,
  bar0: 0x10,
  bar1: 0x14,
  subsystemVendorId: 0x2c,
  subsystemId: 0x2e,
  romBar: 0x30,
  capabilityPointer: 0x34,
  interruptLine: 0x3c,
  interruptPin: 0x3d,
} as const;

export const PciCommand = { Io: 0x1, Memory: 0x2, BusMaster: 0x4, IntxDisable: 0x400 } as const;
const STATUS_CAPABILITY_LIST = 0x10;
/** NVM Express, NVMe I/O controller. */
export const NVME_CLASS_CODE = 0x01_08_02;
const BAR_MEMORY_64BIT = 0x4;

export const CapabilityId = { PowerManagement: 0x01, Msix: 0x11, PciExpress: 0x10 } as const;
/** Where each capability sits. */
export const CapabilityOffset = { pm: 0x40, msix: 0x50, pcie: 0x60 } as const;
/** PCIe capability: Device Capabilities (+4) FLR bit, Device Control (+8) Initiate FLR bit. */
const PCIE_DEVCAP_FLR = 1 << 28;
export const PCIE_DEVCTL_OFFSET = 8;
export const PCIE_DEVCTL_INITIATE_FLR = 0x8000;
const MSIX_CONTROL_WRITABLE = 0xc000;

export interface ConfigSpaceLayout {
  vendorId: number;
  deviceId: number;
  subsystemVendorId: number;
  subsystemId: number;
  /** A power of two, at least 4 KiB. */
  bar0Bytes: number;
  msixVectors: number;
  msixTableOffset: number;
  msixPbaOffset: number;
}

export class ConfigSpace {
  readonly bytes = new Uint8Array(CONFIG_SPACE_BYTES);
  private readonly writable = new Uint8Array(CONFIG_SPACE_BYTES);
  private readonly view = new DataView(this.bytes.buffer);
  private readonly initial: Uint8Array;

  constructor(readonly layout: ConfigSpaceLayout) {
    const { bar0Bytes } = layout;
    this.set16(PciConfig.vendorId, layout.vendorId);
    this.set16(PciConfig.deviceId, layout.deviceId);
    this.set16(PciConfig.command, 0, PciCommand.Memory | PciCommand.BusMaster | PciCommand.IntxDisable);
    this.set16(PciConfig.status, STATUS_CAPABILITY_LIST);
    this.set8(PciConfig.revision, 0x02);
    this.set8(PciConfig.classCode, NVME_CLASS_CODE & 0xff);
    this.set16(PciConfig.classCode + 1, NVME_CLASS_CODE >> 8);
    // BAR0 is 64-bit memory: the size bits read 0 after an all-ones write; BAR1 is its upper half.
    this.set32(PciConfig.bar0, BAR_MEMORY_64BIT, ~(bar0Bytes - 1) & ~0xf);
    this.set32(PciConfig.bar1, 0, 0xffffffff);
    this.set16(PciConfig.subsystemVendorId, layout.subsystemVendorId);
    this.set16(PciConfig.subsystemId, layout.subsystemId);
    this.set8(PciConfig.capabilityPointer, CapabilityOffset.pm);
    this.set8(PciConfig.interruptLine, 0, 0xff);
    // Interrupt pin 0: no INTx, so QEMU sets up no INTx eventfd (MSI-X only).
    this.addPowerManagement();
    this.addMsix();
    this.addPciExpress();
    this.initial = this.bytes.slice();
  }

  private addPowerManagement(): void {
    const at = CapabilityOffset.pm;
    this.set8(at, CapabilityId.PowerManagement);
    this.set8(at + 1, CapabilityOffset.msix);
    this.set16(at + 2, 0x0003); // PM spec 1.2
    this.set16(at + 4, 0, 0x0003); // PMCSR: PowerState D0..D3hot
  }

  private addMsix(): void {
    const at = CapabilityOffset.msix;
    this.set8(at, CapabilityId.Msix);
    this.set8(at + 1, CapabilityOffset.pcie);
    this.set16(at + 2, this.layout.msixVectors - 1, MSIX_CONTROL_WRITABLE);
    this.set32(at + 4, this.layout.msixTableOffset); // BIR 0
    this.set32(at + 8, this.layout.msixPbaOffset); // BIR 0
  }

  private addPciExpress(): void {
    const at = CapabilityOffset.pcie;
    this.set8(at, CapabilityId.PciExpress);
    this.set8(at + 1, 0);
    this.set16(at + 2, 0x0002); // version 2, PCI Express Endpoint
    this.set32(at + 4, PCIE_DEVCAP_FLR);
    // Device Control: everything but Initiate FLR keeps what is written; FLR always reads 0.
    this.set16(at + PCIE_DEVCTL_OFFSET, 0x2810, 0x7fff);
    this.set32(at + 12, 0x0000_0011); // Link Capabilities: 2.5 GT/s x1
    this.set16(at + 18, 0x0011); // Link Status
  }

  private set8(offset: number, value: number, mask = 0): void {
    this.bytes[offset] = value & 0xff;
    this.writable[offset] = mask & 0xff;
  }
  private set16(offset: number, value: number, mask = 0): void {
    this.set8(offset, value, mask);
    this.set8(offset + 1, value >> 8, mask >> 8);
  }
  private set32(offset: number, value: number, mask = 0): void {
    this.set16(offset, value, mask);
    this.set16(offset + 2, value >>> 16, mask >>> 16);
  }

  read(offset: number, length: number): Uint8Array {
    return this.bytes.slice(offset, offset + length);
  }

  /** Applies the write through the masks. The caller checked the range. */
  write(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const at = offset + i;
      const mask = this.writable[at] as number;
      this.bytes[at] = ((this.bytes[at] as number) & ~mask) | ((data[i] as number) & mask);
    }
  }

  get command(): number {
    return this.view.getUint16(PciConfig.command, true);
  }

  /** FLR and device reset: every register back to its power-on value. */
  reset(): void {
    this.bytes.set(this.initial);
  }
}

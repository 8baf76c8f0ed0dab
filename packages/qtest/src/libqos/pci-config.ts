/**
 * PCI configuration space access: mechanism #1 (0xCF8/0xCFC) on every machine, ECAM on q35.
 */
import { InvalidArgumentError } from "../errors.js";
import type { QtestClient } from "../qtest/client.js";
import {
  CF8_BUS_SHIFT,
  CF8_DEVICE_SHIFT,
  CF8_FUNCTION_SHIFT,
  ECAM_BUS_SHIFT,
  ECAM_DEVICE_SHIFT,
  ECAM_FUNCTION_SHIFT,
  PCI_CONFIG_ADDRESS_PORT,
  PCI_CONFIG_DATA_PORT,
  PCI_CONFIG_ENABLE,
  PCI_CONFIG_SPACE_BYTES,
  PCI_MAX_BUSES,
  PCI_MAX_DEVICES,
  PCI_MAX_FUNCTIONS,
  PCIE_CONFIG_SPACE_BYTES,
  Q35_DEFAULT_ECAM_BASE,
  Q35_PCIEXBAR_ENABLE,
  Q35_PCIEXBAR_OFFSET,
} from "./pci-constants.js";

export interface PciAddress {
  readonly bus: number;
  readonly device: number;
  readonly fn: number;
}

export function formatPciAddress({ bus, device, fn }: PciAddress): string {
  const hex = (value: number, width: number) => value.toString(16).padStart(width, "0");
  return `${hex(bus, 2)}:${hex(device, 2)}.${fn}`;
}

type AccessWidth = 1 | 2 | 4;

/** Reads and writes of one function's configuration space. */
export interface PciConfigAccess {
  readonly kind: "pio" | "ecam";
  /** Bytes of configuration space this access method reaches (256 or 4096). */
  readonly spaceBytes: number;
  read(address: PciAddress, offset: number, width: AccessWidth): Promise<number>;
  write(address: PciAddress, offset: number, width: AccessWidth, value: number): Promise<void>;
}

function checkAccess(access: PciConfigAccess, address: PciAddress, offset: number, width: AccessWidth): void {
  const { bus, device, fn } = address;
  if (!Number.isInteger(bus) || bus < 0 || bus >= PCI_MAX_BUSES) {
    throw new InvalidArgumentError("address.bus", `must be an integer within 0..${PCI_MAX_BUSES - 1}`, bus);
  }
  if (!Number.isInteger(device) || device < 0 || device >= PCI_MAX_DEVICES) {
    throw new InvalidArgumentError(
      "address.device",
      `must be an integer within 0..${PCI_MAX_DEVICES - 1}`,
      device,
    );
  }
  if (!Number.isInteger(fn) || fn < 0 || fn >= PCI_MAX_FUNCTIONS) {
    throw new InvalidArgumentError("address.fn", `must be an integer within 0..${PCI_MAX_FUNCTIONS - 1}`, fn);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + width > access.spaceBytes || offset % width !== 0) {
    throw new InvalidArgumentError(
      "offset",
      `must be ${width}-byte aligned and within the ${access.spaceBytes}-byte ${access.kind} configuration space`,
      offset,
    );
  }
}

/**
 * Mechanism #1. The address write and the data access are queued back to back in the same tick,
 * and qtest answers in order, so concurrent callers cannot interleave between the two.
 */
export class PioConfigAccess implements PciConfigAccess {
  readonly kind = "pio";
  readonly spaceBytes = PCI_CONFIG_SPACE_BYTES;

  constructor(private readonly qtest: QtestClient) {}

  async read(address: PciAddress, offset: number, width: AccessWidth): Promise<number> {
    checkAccess(this, address, offset, width);
    const select = this.qtest.outl(PCI_CONFIG_ADDRESS_PORT, this.cf8(address, offset));
    const port = PCI_CONFIG_DATA_PORT + (offset & 3);
    const value =
      width === 1 ? this.qtest.inb(port) : width === 2 ? this.qtest.inw(port) : this.qtest.inl(port);
    const [, result] = await Promise.all([select, value]);
    return result;
  }

  async write(address: PciAddress, offset: number, width: AccessWidth, value: number): Promise<void> {
    checkAccess(this, address, offset, width);
    const select = this.qtest.outl(PCI_CONFIG_ADDRESS_PORT, this.cf8(address, offset));
    const port = PCI_CONFIG_DATA_PORT + (offset & 3);
    const data =
      width === 1
        ? this.qtest.outb(port, value)
        : width === 2
          ? this.qtest.outw(port, value)
          : this.qtest.outl(port, value);
    await Promise.all([select, data]);
  }

  private cf8({ bus, device, fn }: PciAddress, offset: number): number {
    return (
      (PCI_CONFIG_ENABLE |
        (bus << CF8_BUS_SHIFT) |
        (device << CF8_DEVICE_SHIFT) |
        (fn << CF8_FUNCTION_SHIFT) |
        (offset & ~3)) >>>
      0
    );
  }
}

/** PCI Express enhanced configuration access: plain MMIO at base + bus/device/function/offset. */
export class EcamConfigAccess implements PciConfigAccess {
  readonly kind = "ecam";
  readonly spaceBytes = PCIE_CONFIG_SPACE_BYTES;

  constructor(
    private readonly qtest: QtestClient,
    readonly base: bigint,
  ) {}

  read(address: PciAddress, offset: number, width: AccessWidth): Promise<number> {
    checkAccess(this, address, offset, width);
    const at = this.addressOf(address, offset);
    return width === 1 ? this.qtest.readb(at) : width === 2 ? this.qtest.readw(at) : this.qtest.readl(at);
  }

  write(address: PciAddress, offset: number, width: AccessWidth, value: number): Promise<void> {
    checkAccess(this, address, offset, width);
    const at = this.addressOf(address, offset);
    if (width === 1) return this.qtest.writeb(at, value);
    return width === 2 ? this.qtest.writew(at, value) : this.qtest.writel(at, value);
  }

  private addressOf({ bus, device, fn }: PciAddress, offset: number): bigint {
    const bdf = (bus << ECAM_BUS_SHIFT) | (device << ECAM_DEVICE_SHIFT) | (fn << ECAM_FUNCTION_SHIFT);
    return this.base + BigInt(bdf + offset);
  }
}

const HOST_BRIDGE: PciAddress = { bus: 0, device: 0, fn: 0 };

/**
 * Turns on ECAM on a q35 machine. Firmware normally does this; under qtest nothing runs, so the MCH
 * reset value leaves PCIEXBAR disabled. Writes the base (256 buses) with the enable bit.
 */
export async function enableQ35Ecam(
  qtest: QtestClient,
  base = Q35_DEFAULT_ECAM_BASE,
): Promise<EcamConfigAccess> {
  const pio = new PioConfigAccess(qtest);
  await pio.write(HOST_BRIDGE, Q35_PCIEXBAR_OFFSET + 4, 4, 0);
  await pio.write(HOST_BRIDGE, Q35_PCIEXBAR_OFFSET, 4, (base | Q35_PCIEXBAR_ENABLE) >>> 0);
  return new EcamConfigAccess(qtest, BigInt(base));
}

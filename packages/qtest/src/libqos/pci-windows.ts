/**
 * BAR address windows. Its own module because both pci.ts (the bus, which builds PciDevices) and
 * pci-device.ts (which assigns BARs from a window) need it: kept in pci.ts it made the two import
 * each other (issue 9, item 7).
 */
import { PciError } from "../errors.js";
import { DEFAULT_IO_WINDOW, DEFAULT_MMIO_WINDOW } from "./pci-constants.js";

/** Hands out BAR addresses from the MMIO and I/O windows, each aligned to its BAR's size. */
export class PciWindowAllocator {
  private nextMmio: bigint;
  private nextIo: bigint;

  constructor(
    readonly mmio: { start: bigint; end: bigint } = DEFAULT_MMIO_WINDOW,
    readonly io: { start: bigint; end: bigint } = DEFAULT_IO_WINDOW,
  ) {
    this.nextMmio = mmio.start;
    this.nextIo = io.start;
  }

  allocate(kind: "mmio" | "io", size: bigint): bigint {
    const window = kind === "mmio" ? this.mmio : this.io;
    const next = kind === "mmio" ? this.nextMmio : this.nextIo;
    const address = ((next + size - 1n) / size) * size;
    if (address + size > window.end) {
      throw new PciError("PCI_BAR", `no room for a ${size}-byte ${kind} BAR in the ${kind} window`);
    }
    if (kind === "mmio") this.nextMmio = address + size;
    else this.nextIo = address + size;
    return address;
  }
}

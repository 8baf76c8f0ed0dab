/**
 * libqos-lite PCI: discovery by class code on bus 0. Configuration access is in pci-config.ts, one
 * function's BARs, command bits and MSI-X in pci-device.ts, the BAR address windows in
 * pci-windows.ts.
 */
import { PciError } from "../errors.js";
import type { QtestClient } from "../qtest/client.js";
import type { PciConfigAccess } from "./pci-config.js";
import {
  PCI_HEADER_TYPE_MULTI_FUNCTION,
  PCI_MAX_DEVICES,
  PCI_MAX_FUNCTIONS,
  PCI_VENDOR_NONE,
  PciConfigOffset,
} from "./pci-constants.js";
import { PciDevice } from "./pci-device.js";

// Re-exported so callers keep one import for discovery and BAR windows.
export { PciWindowAllocator } from "./pci-windows.js";

/** Bus 0 of one machine: enumeration and lookup. */
export class PciBus {
  constructor(
    readonly qtest: QtestClient,
    readonly config: PciConfigAccess,
  ) {}

  /** Every function on bus 0 (the nvme device sits there unless a bridge is configured). */
  async scan(): Promise<PciDevice[]> {
    const found: PciDevice[] = [];
    for (let device = 0; device < PCI_MAX_DEVICES; device++) {
      for (let fn = 0; fn < PCI_MAX_FUNCTIONS; fn++) {
        const address = { bus: 0, device, fn };
        const vendorId = await this.config.read(address, PciConfigOffset.VENDOR_ID, 2);
        if (vendorId === PCI_VENDOR_NONE) {
          if (fn === 0) break;
          continue;
        }
        found.push(await PciDevice.open(this.qtest, this.config, address));
        if (fn === 0) {
          const headerType = await this.config.read(address, PciConfigOffset.HEADER_TYPE, 1);
          if ((headerType & PCI_HEADER_TYPE_MULTI_FUNCTION) === 0) break;
        }
      }
    }
    return found;
  }

  /** The `index`-th function with class code `classCode` (24 bits: base, sub-class, prog-if). */
  async findByClass(classCode: number, index = 0): Promise<PciDevice> {
    const matches = (await this.scan()).filter((candidate) => candidate.classCode === classCode);
    const match = matches[index];
    if (!match) {
      throw new PciError(
        "PCI_DEVICE_NOT_FOUND",
        `no PCI function #${index} with class code 0x${classCode.toString(16).padStart(6, "0")} on bus 0 ` +
          `(found ${matches.length})`,
      );
    }
    return match;
  }
}

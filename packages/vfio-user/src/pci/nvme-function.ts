/**
 * The NVMe controller as a PCI function: config space (region 7) and BAR0 (region 0), which holds
 * the controller registers and doorbells, then the MSI-X table and PBA. Offsets and lengths arrive
 * from the client and are checked by the caller against `regionBytes()`; this class only maps them.
 */
import type { NvmeController } from "@bplab/controller";
import { RegionIndex } from "../protocol/constants.js";
import {
  CapabilityOffset,
  CONFIG_SPACE_BYTES,
  ConfigSpace,
  PCIE_DEVCTL_INITIATE_FLR,
  PCIE_DEVCTL_OFFSET,
} from "./config-space.js";

/** Controller registers and doorbells: the first 8 KiB of BAR0 (doorbells start at 1000h). */
export const CONTROLLER_REGISTER_BYTES = 0x2000;
const MSIX_ENTRY_BYTES = 16;
const PAGE_BYTES = 0x1000;
/** QEMU's nvme device ID (1b36:0010), so guests bind their NVMe driver. */
const DEVICE_ID = 0x0010;
const SUBSYSTEM_ID = 0x0000;

function alignUp(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}
function nextPowerOfTwo(value: number): number {
  let size = PAGE_BYTES;
  while (size < value) size *= 2;
  return size;
}

export interface FunctionEvents {
  /** A guest FLR (PCIe Device Control bit 15): a Controller Level Reset, locks stay (MC-40). */
  onFunctionLevelReset(): void;
}

export class NvmePciFunction {
  readonly config: ConfigSpace;
  readonly bar0Bytes: number;
  readonly msixTableOffset = CONTROLLER_REGISTER_BYTES;
  readonly msixPbaOffset: number;
  /** The MSI-X table as the guest wrote it (QEMU keeps its own copy; this one answers reads). */
  private readonly msixTable: Uint8Array;

  constructor(
    private readonly controller: NvmeController,
    private readonly events: FunctionEvents,
  ) {
    const vectors = controller.config.msixVectors;
    this.msixTable = new Uint8Array(vectors * MSIX_ENTRY_BYTES);
    this.msixPbaOffset = alignUp(this.msixTableOffset + this.msixTable.length, PAGE_BYTES);
    const pbaBytes = alignUp(vectors, 64) / 8;
    this.bar0Bytes = nextPowerOfTwo(this.msixPbaOffset + pbaBytes);
    this.config = new ConfigSpace({
      vendorId: controller.config.pciVendorId,
      deviceId: DEVICE_ID,
      subsystemVendorId: controller.config.pciSubsystemVendorId,
      subsystemId: SUBSYSTEM_ID,
      bar0Bytes: this.bar0Bytes,
      msixVectors: vectors,
      msixTableOffset: this.msixTableOffset,
      msixPbaOffset: this.msixPbaOffset,
    });
  }

  /** Size of each region index (0 = absent). */
  regionBytes(index: number): number {
    if (index === RegionIndex.Bar0) return this.bar0Bytes;
    if (index === RegionIndex.Config) return CONFIG_SPACE_BYTES;
    return 0;
  }

  read(region: number, offset: number, length: number): Uint8Array {
    if (region === RegionIndex.Config) return this.config.read(offset, length);
    return this.readBar0(offset, length);
  }

  write(region: number, offset: number, data: Uint8Array): void {
    if (region === RegionIndex.Config) this.writeConfig(offset, data);
    else this.writeBar0(offset, data);
  }

  /** DEVICE_RESET and FLR: config space to power-on values; the controller resets separately. */
  resetFunction(): void {
    this.config.reset();
    this.msixTable.fill(0);
  }

  private writeConfig(offset: number, data: Uint8Array): void {
    this.config.write(offset, data);
    const devctl = CapabilityOffset.pcie + PCIE_DEVCTL_OFFSET;
    // Initiate FLR is bit 15 of Device Control: byte devctl+1, bit 7. It is never stored (mask).
    const flrByte = devctl + 1 - offset;
    if (flrByte >= 0 && flrByte < data.length && (data[flrByte] as number) & (PCIE_DEVCTL_INITIATE_FLR >> 8))
      this.events.onFunctionLevelReset();
  }

  private readBar0(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const view = new DataView(out.buffer);
    if (offset < CONTROLLER_REGISTER_BYTES) {
      if (length === 8 && offset % 8 === 0) {
        view.setBigUint64(0, this.controller.mmioRead64(offset), true);
        return out;
      }
      // Narrow and unaligned reads come from the dwords that hold them.
      for (let i = 0; i < length; i++) {
        const at = offset + i;
        const dword = this.controller.mmioRead32(at & ~3);
        out[i] = (dword >>> ((at & 3) * 8)) & 0xff;
      }
      return out;
    }
    const tableEnd = this.msixTableOffset + this.msixTable.length;
    for (let i = 0; i < length; i++) {
      const at = offset + i;
      if (at >= this.msixTableOffset && at < tableEnd)
        out[i] = this.msixTable[at - this.msixTableOffset] as number;
      // The PBA reads 0: vectors are never held pending (no per-vector masking on this side).
    }
    return out;
  }

  private writeBar0(offset: number, data: Uint8Array): void {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (offset < CONTROLLER_REGISTER_BYTES) {
      if (data.length === 8 && offset % 8 === 0)
        this.controller.mmioWrite64(offset, view.getBigUint64(0, true));
      else if (data.length === 4 && offset % 4 === 0)
        this.controller.mmioWrite32(offset, view.getUint32(0, true));
      else this.writeNarrow(offset, data);
      return;
    }
    for (let i = 0; i < data.length; i++) {
      const at = offset + i - this.msixTableOffset;
      if (at >= 0 && at < this.msixTable.length) this.msixTable[at] = data[i] as number;
    }
  }

  /** Byte/word register writes: read-modify-write of each dword they touch. */
  private writeNarrow(offset: number, data: Uint8Array): void {
    let at = offset;
    while (at < offset + data.length) {
      const base = at & ~3;
      let dword = this.controller.mmioRead32(base);
      for (let byte = at - base; byte < 4 && at < offset + data.length; byte++, at++) {
        const shift = byte * 8;
        dword = (dword & ~(0xff << shift)) | ((data[at - offset] as number) << shift);
      }
      this.controller.mmioWrite32(base, dword >>> 0);
    }
  }
}

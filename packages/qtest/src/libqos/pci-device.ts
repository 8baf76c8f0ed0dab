/**
 * One PCI function: identity, BAR sizing and assignment, command bits, capabilities and MSI-X.
 */
import { InvalidArgumentError, PciError } from "../errors.js";
import type { QtestClient } from "../qtest/client.js";
import { formatPciAddress, type PciAddress, type PciConfigAccess } from "./pci-config.js";
import {
  MSIX_BIR_MASK,
  MSIX_CONTROL_ENABLE,
  MSIX_CONTROL_FUNCTION_MASK,
  MSIX_CONTROL_TABLE_SIZE_MASK,
  MSIX_ENTRY_BYTES,
  MsixCapOffset,
  MsixEntryOffset,
  PCI_BAR_BYTES,
  PCI_BAR_COUNT,
  PCI_BAR_IO,
  PCI_BAR_IO_ADDRESS_MASK,
  PCI_BAR_MEM_ADDRESS_MASK,
  PCI_BAR_MEM_TYPE_64,
  PCI_BAR_MEM_TYPE_MASK,
  PCI_BAR_PREFETCHABLE,
  PCI_CAP_ID_MSIX,
  PCI_CAP_LIST_LIMIT,
  PCI_CAP_NEXT_OFFSET,
  PCI_CAP_POINTER_MASK,
  PCI_STATUS_CAPABILITY_LIST,
  PciCommand,
  PciConfigOffset,
} from "./pci-constants.js";
import type { PciWindowAllocator } from "./pci-windows.js";

const ALL_ONES_32 = 0xffff_ffff;
const BYTE_BITS = 8;
const DWORD_BITS = 32n;

export interface PciBar {
  readonly index: number;
  readonly kind: "mem32" | "mem64" | "io";
  readonly prefetchable: boolean;
  readonly size: bigint;
  /** Assigned address, once assignBars() ran. */
  readonly address: bigint | undefined;
}

export interface MsixVector {
  /** Where the device writes the message (on x86 the LAPIC window, 0xFEExxxxx). */
  readonly address: bigint;
  readonly data: number;
  readonly masked?: boolean;
}

export class PciDevice {
  private readonly barTable = new Map<number, PciBar>();

  private constructor(
    readonly qtest: QtestClient,
    readonly config: PciConfigAccess,
    readonly address: PciAddress,
    readonly vendorId: number,
    readonly deviceId: number,
    readonly classCode: number,
    readonly revision: number,
  ) {}

  static async open(qtest: QtestClient, config: PciConfigAccess, address: PciAddress): Promise<PciDevice> {
    const [ids, classRevision] = await Promise.all([
      config.read(address, PciConfigOffset.VENDOR_ID, 4),
      config.read(address, PciConfigOffset.CLASS_REVISION, 4),
    ]);
    return new PciDevice(
      qtest,
      config,
      address,
      ids & 0xffff,
      ids >>> 16,
      classRevision >>> BYTE_BITS,
      classRevision & 0xff,
    );
  }

  get name(): string {
    return formatPciAddress(this.address);
  }

  /** BARs found by sizeBars()/assignBars(), by index. */
  get bars(): ReadonlyMap<number, PciBar> {
    return this.barTable;
  }

  bar(index: number): PciBar {
    const bar = this.barTable.get(index);
    if (!bar) throw new PciError("PCI_BAR", `${this.name} has no BAR ${index} (size the BARs first)`);
    return bar;
  }

  readConfig(offset: number, width: 1 | 2 | 4): Promise<number> {
    return this.config.read(this.address, offset, width);
  }

  writeConfig(offset: number, width: 1 | 2 | 4, value: number): Promise<void> {
    return this.config.write(this.address, offset, width, value);
  }

  /**
   * Sizes every BAR (all-ones write, read back, restore) with decoding off, so the probe value
   * never maps the device at a bogus address.
   */
  async sizeBars(): Promise<PciBar[]> {
    const command = await this.readConfig(PciConfigOffset.COMMAND, 2);
    await this.writeConfig(PciConfigOffset.COMMAND, 2, command & ~(PciCommand.IO | PciCommand.MEMORY));
    this.barTable.clear();
    for (let index = 0; index < PCI_BAR_COUNT; index++) {
      const bar = await this.sizeBar(index);
      if (!bar) continue;
      this.barTable.set(index, bar);
      if (bar.kind === "mem64") index++;
    }
    await this.writeConfig(PciConfigOffset.COMMAND, 2, command);
    return [...this.barTable.values()];
  }

  private async sizeBar(index: number): Promise<PciBar | undefined> {
    const offset = PciConfigOffset.BAR0 + index * PCI_BAR_BYTES;
    const original = await this.readConfig(offset, 4);
    await this.writeConfig(offset, 4, ALL_ONES_32);
    const probe = await this.readConfig(offset, 4);
    await this.writeConfig(offset, 4, original);
    if (probe === 0) return undefined;
    if (probe & PCI_BAR_IO) {
      const size = BigInt((~(probe & PCI_BAR_IO_ADDRESS_MASK) + 1) & 0xffff);
      return { index, kind: "io", prefetchable: false, size, address: undefined };
    }
    const prefetchable = (probe & PCI_BAR_PREFETCHABLE) !== 0;
    let mask = BigInt((probe & PCI_BAR_MEM_ADDRESS_MASK) >>> 0);
    const is64 = (probe & PCI_BAR_MEM_TYPE_MASK) === PCI_BAR_MEM_TYPE_64;
    if (is64) {
      const highOffset = offset + PCI_BAR_BYTES;
      const highOriginal = await this.readConfig(highOffset, 4);
      await this.writeConfig(highOffset, 4, ALL_ONES_32);
      const high = await this.readConfig(highOffset, 4);
      await this.writeConfig(highOffset, 4, highOriginal);
      mask |= BigInt(high >>> 0) << DWORD_BITS;
    } else {
      mask |= BigInt(ALL_ONES_32) << DWORD_BITS;
    }
    const size = ((~mask & ((1n << 64n) - 1n)) + 1n) & ((1n << 64n) - 1n);
    return { index, kind: is64 ? "mem64" : "mem32", prefetchable, size, address: undefined };
  }

  /** Sizes the BARs and programs each at an address from `windows` (64-bit BARs stay below 4 GiB). */
  async assignBars(windows: PciWindowAllocator): Promise<PciBar[]> {
    const bars = await this.sizeBars();
    for (const bar of bars) {
      const address = windows.allocate(bar.kind === "io" ? "io" : "mmio", bar.size);
      await this.programBar(bar, address);
    }
    return [...this.barTable.values()];
  }

  /** Writes `address` into BAR `bar` (both halves of a 64-bit BAR). */
  async programBar(bar: PciBar, address: bigint): Promise<void> {
    const offset = PciConfigOffset.BAR0 + bar.index * PCI_BAR_BYTES;
    await this.writeConfig(offset, 4, Number(address & BigInt(ALL_ONES_32)));
    if (bar.kind === "mem64") {
      await this.writeConfig(offset + PCI_BAR_BYTES, 4, Number(address >> DWORD_BITS));
    }
    this.barTable.set(bar.index, { ...bar, address });
  }

  /** Sets the command bits asked for (and leaves the others as they are). */
  async enable(bits: { io?: boolean; memory?: boolean; busMaster?: boolean }): Promise<void> {
    let command = await this.readConfig(PciConfigOffset.COMMAND, 2);
    if (bits.io) command |= PciCommand.IO;
    if (bits.memory) command |= PciCommand.MEMORY;
    if (bits.busMaster) command |= PciCommand.BUS_MASTER;
    await this.writeConfig(PciConfigOffset.COMMAND, 2, command);
  }

  /** Offset of the first capability with id `id`, or undefined. */
  async findCapability(id: number): Promise<number | undefined> {
    const status = await this.readConfig(PciConfigOffset.STATUS, 2);
    if ((status & PCI_STATUS_CAPABILITY_LIST) === 0) return undefined;
    let pointer = (await this.readConfig(PciConfigOffset.CAPABILITIES_POINTER, 1)) & PCI_CAP_POINTER_MASK;
    for (let seen = 0; pointer !== 0 && seen < PCI_CAP_LIST_LIMIT; seen++) {
      if ((await this.readConfig(pointer, 1)) === id) return pointer;
      pointer = (await this.readConfig(pointer + PCI_CAP_NEXT_OFFSET, 1)) & PCI_CAP_POINTER_MASK;
    }
    return undefined;
  }

  /** Number of MSI-X vectors, or 0 without an MSI-X capability. */
  async msixTableSize(): Promise<number> {
    const cap = await this.findCapability(PCI_CAP_ID_MSIX);
    if (cap === undefined) return 0;
    return ((await this.readConfig(cap + MsixCapOffset.CONTROL, 2)) & MSIX_CONTROL_TABLE_SIZE_MASK) + 1;
  }

  /**
   * Programs the MSI-X table with `vectors` (through the BAR that holds it, which must be assigned
   * and decoding) and enables MSI-X with the function unmasked.
   */
  async enableMsix(vectors: readonly MsixVector[]): Promise<void> {
    const cap = await this.findCapability(PCI_CAP_ID_MSIX);
    if (cap === undefined) throw new PciError("PCI_BAR", `${this.name} has no MSI-X capability`);
    const control = await this.readConfig(cap + MsixCapOffset.CONTROL, 2);
    const tableSize = (control & MSIX_CONTROL_TABLE_SIZE_MASK) + 1;
    if (vectors.length > tableSize) {
      throw new InvalidArgumentError(
        "vectors.length",
        `must be at most the MSI-X table size ${tableSize}`,
        vectors.length,
      );
    }
    const table = await this.readConfig(cap + MsixCapOffset.TABLE, 4);
    const bar = this.bar(table & MSIX_BIR_MASK);
    if (bar.address === undefined)
      throw new PciError("PCI_BAR", `${this.name} BAR ${bar.index} is not assigned`);
    const tableBase = bar.address + BigInt((table & ~MSIX_BIR_MASK) >>> 0);
    // Mask the whole function while the table is written, as the spec asks of software.
    await this.writeConfig(
      cap + MsixCapOffset.CONTROL,
      2,
      control | MSIX_CONTROL_ENABLE | MSIX_CONTROL_FUNCTION_MASK,
    );
    for (const [index, vector] of vectors.entries()) {
      const entry = tableBase + BigInt(index * MSIX_ENTRY_BYTES);
      await this.qtest.writel(
        entry + BigInt(MsixEntryOffset.ADDRESS_LOW),
        Number(vector.address & BigInt(ALL_ONES_32)),
      );
      await this.qtest.writel(
        entry + BigInt(MsixEntryOffset.ADDRESS_HIGH),
        Number(vector.address >> DWORD_BITS),
      );
      await this.qtest.writel(entry + BigInt(MsixEntryOffset.DATA), vector.data >>> 0);
      await this.qtest.writel(entry + BigInt(MsixEntryOffset.CONTROL), vector.masked ? 1 : 0);
    }
    await this.writeConfig(
      cap + MsixCapOffset.CONTROL,
      2,
      (control | MSIX_CONTROL_ENABLE) & ~MSIX_CONTROL_FUNCTION_MASK,
    );
  }

  /** Base address of the MSI-X table (for tests that read it back). */
  async msixTableAddress(): Promise<bigint | undefined> {
    const cap = await this.findCapability(PCI_CAP_ID_MSIX);
    if (cap === undefined) return undefined;
    const table = await this.readConfig(cap + MsixCapOffset.TABLE, 4);
    const bar = this.barTable.get(table & MSIX_BIR_MASK);
    return bar?.address === undefined ? undefined : bar.address + BigInt((table & ~MSIX_BIR_MASK) >>> 0);
  }
}

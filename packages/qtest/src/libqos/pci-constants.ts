/**
 * PCI facts libqos-lite needs (PCI Local Bus 3.0, PCI Express Base, Intel Q35 MCH datasheet).
 * NVMe facts live in @bplab/nvme-spec; these are transport facts, so they live here.
 */

/** Configuration mechanism #1: write the address to 0xCF8, then access the dword at 0xCFC. */
export const PCI_CONFIG_ADDRESS_PORT = 0xcf8;
export const PCI_CONFIG_DATA_PORT = 0xcfc;
export const PCI_CONFIG_ENABLE = 0x8000_0000;
/** Mechanism #1 reaches the first 256 bytes of configuration space; ECAM reaches 4 KiB. */
export const PCI_CONFIG_SPACE_BYTES = 256;
export const PCIE_CONFIG_SPACE_BYTES = 4096;

export const PCI_MAX_DEVICES = 32;
export const PCI_MAX_FUNCTIONS = 8;
export const PCI_MAX_BUSES = 256;
/** A vendor id of all ones means "no function here". */
export const PCI_VENDOR_NONE = 0xffff;

export const PciConfigOffset = Object.freeze({
  VENDOR_ID: 0x00,
  DEVICE_ID: 0x02,
  COMMAND: 0x04,
  STATUS: 0x06,
  /** Revision ID (byte 0) and class code (bytes 1-3). */
  CLASS_REVISION: 0x08,
  HEADER_TYPE: 0x0e,
  BAR0: 0x10,
  CAPABILITIES_POINTER: 0x34,
});

export const PCI_BAR_COUNT = 6;
export const PCI_BAR_BYTES = 4;

export const PciCommand = Object.freeze({ IO: 0x1, MEMORY: 0x2, BUS_MASTER: 0x4 });
export const PCI_STATUS_CAPABILITY_LIST = 0x10;
export const PCI_HEADER_TYPE_MULTI_FUNCTION = 0x80;
export const PCI_HEADER_TYPE_MASK = 0x7f;

/** BAR low bits: bit 0 I/O space; memory type bits 2:1 (10b = 64-bit); bit 3 prefetchable. */
export const PCI_BAR_IO = 0x1;
export const PCI_BAR_MEM_TYPE_MASK = 0x6;
export const PCI_BAR_MEM_TYPE_64 = 0x4;
export const PCI_BAR_PREFETCHABLE = 0x8;
export const PCI_BAR_IO_ADDRESS_MASK = 0xffff_fffc;
export const PCI_BAR_MEM_ADDRESS_MASK = 0xffff_fff0;

/** Capability list: each entry is `id`, `next` (bytes 0 and 1); the pointer's low 2 bits are reserved. */
export const PCI_CAP_POINTER_MASK = 0xfc;
export const PCI_CAP_NEXT_OFFSET = 1;
export const PCI_CAP_ID_MSIX = 0x11;
/** Upper bound on capability entries, so a corrupt list cannot loop forever. */
export const PCI_CAP_LIST_LIMIT = 48;

/** MSI-X capability (PCI 3.0 §6.8.2). */
export const MsixCapOffset = Object.freeze({ CONTROL: 0x02, TABLE: 0x04, PBA: 0x08 });
export const MSIX_CONTROL_ENABLE = 0x8000;
export const MSIX_CONTROL_FUNCTION_MASK = 0x4000;
export const MSIX_CONTROL_TABLE_SIZE_MASK = 0x7ff;
export const MSIX_BIR_MASK = 0x7;
export const MSIX_ENTRY_BYTES = 16;
export const MsixEntryOffset = Object.freeze({
  ADDRESS_LOW: 0x0,
  ADDRESS_HIGH: 0x4,
  DATA: 0x8,
  CONTROL: 0xc,
});
export const MSIX_ENTRY_MASKED = 0x1;

/** Class code of an NVM Express controller: mass storage (01h), NVM (08h), NVMe interface (02h). */
export const NVME_PCI_CLASS_CODE = 0x01_08_02;

/** Q35 MCH: PCIEXBAR (64-bit, at 60h of 00:00.0) places ECAM; bit 0 enables it, bits 2:1 = 00b: 256 buses. */
export const Q35_PCIEXBAR_OFFSET = 0x60;
export const Q35_PCIEXBAR_ENABLE = 0x1;
export const Q35_DEFAULT_ECAM_BASE = 0xb000_0000;
/** ECAM address of a function: bus << 20 | device << 15 | function << 12. */
export const ECAM_BUS_SHIFT = 20;
export const ECAM_DEVICE_SHIFT = 15;
export const ECAM_FUNCTION_SHIFT = 12;
/** Mechanism #1 address: bus << 16 | device << 11 | function << 8 | dword-aligned offset. */
export const CF8_BUS_SHIFT = 16;
export const CF8_DEVICE_SHIFT = 11;
export const CF8_FUNCTION_SHIFT = 8;

/**
 * Where libqos-lite places BARs: 32-bit MMIO below the IOAPIC (FEC00000h) and above ECAM, and the
 * usual I/O port window. Guest RAM (-m, at most 2 GiB here) stays below both.
 */
export const DEFAULT_MMIO_WINDOW = Object.freeze({ start: 0xe000_0000n, end: 0xfec0_0000n });
export const DEFAULT_IO_WINDOW = Object.freeze({ start: 0xc000n, end: 0x1_0000n });

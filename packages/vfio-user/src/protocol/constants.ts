/**
 * vfio-user wire constants as QEMU 10.2.2's client uses them (docs/vfio-user.md, "Wire format").
 * All integers are little-endian (the host's order on x86-64).
 */

export const HEADER_BYTES = 16;

/** Command numbers (header bytes 2-3). */
export const Command = {
  Version: 1,
  DmaMap: 2,
  DmaUnmap: 3,
  DeviceGetInfo: 4,
  DeviceGetRegionInfo: 5,
  DeviceGetRegionIoFds: 6,
  DeviceGetIrqInfo: 7,
  DeviceSetIrqs: 8,
  RegionRead: 9,
  RegionWrite: 10,
  DmaRead: 11,
  DmaWrite: 12,
  DeviceReset: 13,
  DirtyPages: 14,
  RegionWriteMulti: 15,
} as const;
export type CommandNumber = (typeof Command)[keyof typeof Command];

/** Header flags (bytes 8-11): bits 0-3 the type, then NO_REPLY and ERROR. */
export const MessageFlag = {
  TypeMask: 0xf,
  Request: 0,
  Reply: 1,
  NoReply: 0x10,
  Error: 0x20,
} as const;

/** The errno values the server puts in error replies (Linux numbering). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  E2BIG: 7,
  EBADF: 9,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ENOSYS: 38,
  ENOTSUP: 95,
} as const;

/** DMA_MAP flags. */
export const DmaMapFlag = { Read: 1, Write: 2 } as const;
/** DMA_UNMAP flags. */
export const DmaUnmapFlag = { GetDirtyBitmap: 1, UnmapAll: 2 } as const;

/** Region indexes of a vfio PCI device (linux vfio.h). */
export const RegionIndex = {
  Bar0: 0,
  Bar5: 5,
  Rom: 6,
  Config: 7,
  Vga: 8,
} as const;
/** Region flags. */
export const RegionFlag = { Read: 1, Write: 2, Mmap: 4, Caps: 8 } as const;

/** IRQ indexes of a vfio PCI device. */
export const IrqIndex = { Intx: 0, Msi: 1, Msix: 2, Err: 3, Req: 4 } as const;
/** GET_IRQ_INFO flags. */
export const IrqInfoFlag = { Eventfd: 1, Maskable: 2, Automasked: 4, NoResize: 8 } as const;
/** SET_IRQS flags: one data type, one action. */
export const SetIrqsFlag = {
  DataNone: 1,
  DataBool: 2,
  DataEventfd: 4,
  ActionMask: 8,
  ActionUnmask: 16,
  ActionTrigger: 32,
} as const;

/** DEVICE_GET_INFO flags. */
export const DeviceFlag = { Reset: 1, Pci: 2 } as const;

/** Limits QEMU's client announces or enforces (docs/vfio-user.md, "Limits"). */
export const Limits = {
  /** The largest REGION or DMA payload the server accepts and announces. */
  maxDataXferBytes: 1024 * 1024,
  /** fds the server accepts in one message. */
  maxMsgFds: 16,
  /** DMA maps the server keeps at once. */
  maxDmaMaps: 65535,
  /** The largest message the server accepts: the data limit plus room for the fixed fields. */
  maxMessageBytes: 1024 * 1024 + 64,
  /** A VERSION request's JSON may not be larger than this. */
  maxVersionJsonBytes: 4096,
  /** REGION_WRITE_MULTI entries (not announced; only parsed to reject it cleanly). */
  pageBytes: 4096,
} as const;

/** Byte offsets of the fixed fields in each message (after the 16-byte header). */
export const Layout = {
  /** DMA_READ/DMA_WRITE: u64 address @16, u32 count @24, data @28 in QEMU 10.2.2. */
  dmaAddress: 16,
  dmaCount: 24,
  dmaDataQemu: 28,
  /** The spec (and libvfio-user) put a u64 count @24 and the data @32. */
  dmaDataSpec: 32,
  /** REGION_READ/WRITE: u64 offset @16, u32 region @24, u32 count @28, data @32. */
  regionOffset: 16,
  regionIndex: 24,
  regionCount: 28,
  regionData: 32,
} as const;

/** Where DMA_READ/DMA_WRITE put their data: QEMU 10.2.2's client (byte 28) or the spec (byte 32). */
export type DmaLayout = "qemu" | "spec";

export function commandName(command: number): string {
  for (const [name, value] of Object.entries(Command)) if (value === command) return name;
  return `Unknown(${command})`;
}

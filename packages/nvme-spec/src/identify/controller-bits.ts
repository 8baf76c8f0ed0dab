import { dwordCodec, type Fields, flag, uint } from "../layout.js";

/**
 * Bit fields inside Identify Controller bytes (Base 2.1 §5.1.13.2.1, Fig. 312; docs/spec/boot-partitions.md §3).
 * Masks are exported for code that tests one bit; codecs for code that reads the whole byte.
 */

/** BPCAP, byte 102 (Base 2.1 Fig. 312; docs/spec/boot-partitions.md §3). */
export const BPCAP_LAYOUT = Object.freeze({
  /** bits 1:0 RPMBBPWPS: RPMB Boot Partition write protection support, see RpmbBpWpSupport */
  rpmbbpwps: uint(1, 0),
  /** bit 2 SFBPWPS: Set Features Boot Partition write protection (FID 85h) supported */
  sfbpwps: flag(2),
});
export type Bpcap = Fields<typeof BPCAP_LAYOUT>;
export const bpcapCodec = dwordCodec("BPCAP", BPCAP_LAYOUT);
/** BPCAP bit 2 SFBPWPS as a mask. */
export const BPCAP_SFBPWPS = 1 << 2;
/** BPCAP bits 1:0 RPMBBPWPS as a mask. */
export const BPCAP_RPMBBPWPS_MASK = 0b11;
/** RPMBBPWPS values. */
export const RpmbBpWpSupport = Object.freeze({
  /** 00b: support not specified (only controllers compliant with 2.0 or earlier) */
  NotSpecified: 0b00,
  /** 01b: RPMB Boot Partition write protection not supported */
  NotSupported: 0b01,
  /** 10b: RPMB Boot Partition write protection supported */
  Supported: 0b10,
});
/** The lab's BPCAP: SFBPWPS=1, RPMBBPWPS=01b (model-choices defaults table). */
export const BPCAP_LAB_DEFAULT = 0x05;
/** The lab's BPCAP in the core's optional RPMB mode: SFBPWPS=1, RPMBBPWPS=10b. */
export const BPCAP_LAB_RPMB = 0x06;

/** OACS, bytes 257:256 (Fig. 312). */
export const Oacs = Object.freeze({
  /** bit 0 SSRS: Security Send / Receive supported */
  SecuritySendReceive: 1 << 0,
  /** bit 1 FNVMS: Format NVM supported */
  FormatNvm: 1 << 1,
  /** bit 2 FWDS: Firmware Commit and Firmware Image Download supported (needed to write BPs) */
  FirmwareDownload: 1 << 2,
  /** bit 3 NMS: Namespace Management supported */
  NamespaceManagement: 1 << 3,
  /** bit 4 DSTS: Device Self-test supported */
  DeviceSelfTest: 1 << 4,
  /** bit 5 DIRS: Directives supported */
  Directives: 1 << 5,
  /** bit 6 NVMMS: NVMe-MI Send / Receive supported */
  NvmeMi: 1 << 6,
  /** bit 7 VMS: Virtualization Management supported */
  VirtualizationManagement: 1 << 7,
  /** bit 8 DBCS: Doorbell Buffer Config supported */
  DoorbellBufferConfig: 1 << 8,
  /** bit 9 GLSS: Get LBA Status supported */
  GetLbaStatus: 1 << 9,
  /** bit 10 CFLS: Command and Feature Lockdown supported */
  CommandFeatureLockdown: 1 << 10,
});

/** FRMW, byte 260 (Fig. 312; docs/spec/boot-partitions.md §3). */
export const FRMW_LAYOUT = Object.freeze({
  /** bit 0 FFSRO: firmware slot 1 is read only */
  ffsro: flag(0),
  /** bits 3:1 NOFS: number of firmware slots, 1-7 */
  nofs: uint(3, 1),
  /** bit 4 FAWR: firmware activation without reset supported */
  fawr: flag(4),
  /** bit 5 SMUD: multiple update detection supported (MUD bits in commit DW0) */
  smud: flag(5),
});
export type Frmw = Fields<typeof FRMW_LAYOUT>;
export const frmwCodec = dwordCodec("FRMW", FRMW_LAYOUT);
/** The lab's FRMW: one slot, slot 1 read-only (model-choices defaults; MC-25). */
export const FRMW_LAB_DEFAULT = 0x03;

/** LPA, byte 261 (Fig. 312; docs/spec/boot-partitions.md §3). */
export const Lpa = Object.freeze({
  /** bit 0 SMARTS: SMART / Health log per namespace */
  SmartPerNamespace: 1 << 0,
  /** bit 1 CSES: Commands Supported and Effects log (05h) */
  CommandsSupportedEffects: 1 << 1,
  /** bit 2 LPEDS: extended Get Log Page data (NUMDU, LPOL/LPOU) */
  ExtendedData: 1 << 2,
  /** bit 3 TS: telemetry logs */
  Telemetry: 1 << 3,
  /** bit 4 PES: Persistent Event log */
  PersistentEvent: 1 << 4,
  /** bit 5 MLPS: Supported Log Pages (00h) and other log identifier support */
  SupportedLogPages: 1 << 5,
  /** bit 6 DA4S: telemetry data area 4 */
  TelemetryDataArea4: 1 << 6,
});
/**
 * The lab's LPA, 07h on every target (MC-55): SMART per namespace, CSES and LPEDS (needed for BP
 * reads). MLPS (bit 5) stays 0: it also promises LIDs 12h and 13h, which the lab does not serve;
 * LID 00h is supported all the same.
 */
export const LPA_LAB_DEFAULT = Lpa.SmartPerNamespace | Lpa.CommandsSupportedEffects | Lpa.ExtendedData;

/** ONCS, bytes 521:520 (Fig. 312). */
export const Oncs = Object.freeze({
  /** bit 0 NVMCMPS: Compare */
  Compare: 1 << 0,
  /** bit 1 NVMWUSV: Write Uncorrectable */
  WriteUncorrectable: 1 << 1,
  /** bit 2 NVMDSMSV: Dataset Management */
  DatasetManagement: 1 << 2,
  /** bit 3 NVMWZSV: Write Zeroes */
  WriteZeroes: 1 << 3,
  /** bit 4 SSFS: Save field in Set Features and Select field in Get Features */
  SaveSelect: 1 << 4,
  /** bit 5 RESERVS: reservations */
  Reservations: 1 << 5,
  /** bit 6 TSS: Timestamp feature */
  Timestamp: 1 << 6,
  /** bit 7 NVMVFYS: Verify */
  Verify: 1 << 7,
  /** bit 8 NVMCPYS: Copy */
  Copy: 1 << 8,
});

/** CTRATT, bytes 99:96 (Fig. 312), the bits a host driver looks at. */
export const Ctratt = Object.freeze({
  /** bit 0 HIDS: 128-bit host identifier */
  HostId128: 1 << 0,
  /** bit 1 NOPSPM: non-operational power state permissive mode */
  NonOperationalPermissive: 1 << 1,
  /** bit 10 MDS: multi-domain subsystem (no WLUPC on shared BPs: docs/spec/boot-partitions.md §7.2) */
  MultiDomainSubsystem: 1 << 10,
});

/** SQES / CQES, bytes 512 / 513: required (3:0) and maximum (7:4) entry size, log2 bytes. */
export const ENTRY_SIZES_LAYOUT = Object.freeze({
  /** bits 3:0: required entry size, 2^n bytes */
  required: uint(3, 0),
  /** bits 7:4: maximum entry size, 2^n bytes */
  maximum: uint(7, 4),
});
export const entrySizesCodec = dwordCodec("SQES/CQES", ENTRY_SIZES_LAYOUT);

/** VWC, byte 525: bit 0 present; bits 2:1 flush behaviour for NSID FFFFFFFFh. */
export const Vwc = Object.freeze({ Present: 1 << 0, FlushBroadcastSupported: 0b11 << 1 });

/** Unit of FWUG (byte 319): 4 KiB; 00h = no information, FFh = no restriction (MC-12). */
export const FWUG_UNIT_BYTES = 4096;
export const FWUG_NO_INFORMATION = 0x00;
export const FWUG_NO_RESTRICTION = 0xff;
/** The lab's FWUG: 01h, 4 KiB (model-choices defaults). */
export const FWUG_LAB_DEFAULT = 0x01;
/** The lab's MDTS: 7, i.e. 2^7 pages = 512 KiB with 4 KiB pages (model-choices defaults). */
export const MDTS_LAB_DEFAULT = 7;

/** Controller types, byte 111 CNTRLTYPE. */
export const ControllerType = Object.freeze({ NotReported: 0, Io: 1, Discovery: 2, Administrative: 3 });

/** Largest transfer in bytes for an MDTS and a memory page size; MDTS 0 means no limit. */
export function maxDataTransferBytes(mdts: number, pageSizeBytes: number): number {
  return mdts === 0 ? Number.POSITIVE_INFINITY : 2 ** mdts * pageSizeBytes;
}

import { BufferReader } from "../buffer-reader.js";
import { BufferWriter } from "../buffer-writer.js";
import { CQE_SIZE_LOG2 } from "../queue/cqe.js";
import { SQE_SIZE_LOG2 } from "../queue/sqe.js";
import { NVME_VERSION_2_1 } from "../registers/vs.js";
import {
  ascii,
  bytes,
  checkEntryCount,
  nqn,
  readEntries,
  readStruct,
  type StructValues,
  u8,
  u16,
  u32,
  u128,
  writeStruct,
} from "../struct.js";
import { IDENTIFY_DATA_SIZE } from "./cns.js";
import {
  BPCAP_LAB_DEFAULT,
  ControllerType,
  FRMW_LAB_DEFAULT,
  FWUG_LAB_DEFAULT,
  LPA_LAB_DEFAULT,
  MDTS_LAB_DEFAULT,
  Oacs,
} from "./controller-bits.js";
import {
  DEFAULT_POWER_STATE,
  POWER_STATE_DESCRIPTOR_LAYOUT,
  POWER_STATE_DESCRIPTOR_SIZE,
  type PowerStateDescriptor,
} from "./power-state.js";

/**
 * Identify Controller data structure, CNS 01h, 4096 bytes (Base 2.1 §5.1.13.2.1, Fig. 312;
 * docs/spec/boot-partitions.md §3 for the BP fields). Byte ranges follow the spec; fields not
 * listed are reserved or out of this lab's scope and encode as 0.
 */
export const IDENTIFY_CONTROLLER_LAYOUT = Object.freeze({
  /** bytes 1:0 VID: PCI vendor ID */
  vid: u16(0),
  /** bytes 3:2 SSVID: PCI subsystem vendor ID */
  ssvid: u16(2),
  /** bytes 23:4 SN: serial number, ASCII, space padded */
  sn: ascii(4, 20),
  /** bytes 63:24 MN: model number, ASCII, space padded */
  mn: ascii(24, 40),
  /** bytes 71:64 FR: firmware revision, ASCII, space padded */
  fr: ascii(64, 8),
  /** byte 72 RAB: recommended arbitration burst, 2^n commands */
  rab: u8(72),
  /** bytes 75:73 IEEE: OUI, little endian */
  ieee: bytes(73, 3),
  /** byte 76 CMIC: multi-path I/O and namespace sharing capabilities */
  cmic: u8(76),
  /** byte 77 MDTS: maximum data transfer size, 2^n x CAP.MPSMIN pages, 0 = no limit */
  mdts: u8(77),
  /** bytes 79:78 CNTLID: controller ID */
  cntlid: u16(78),
  /** bytes 83:80 VER: version, same encoding as the VS register */
  ver: u32(80),
  /** bytes 87:84 RTD3R: RTD3 resume latency, microseconds */
  rtd3r: u32(84),
  /** bytes 91:88 RTD3E: RTD3 entry latency, microseconds */
  rtd3e: u32(88),
  /** bytes 95:92 OAES: optional asynchronous events supported */
  oaes: u32(92),
  /** bytes 99:96 CTRATT: controller attributes, see Ctratt */
  ctratt: u32(96),
  /** bytes 101:100 RRLS: read recovery levels supported */
  rrls: u16(100),
  /** byte 102 BPCAP: Boot Partition capabilities, see BPCAP_LAYOUT (docs/spec/boot-partitions.md §3) */
  bpcap: u8(102),
  /** bytes 107:104 NSSL: NVM subsystem shutdown latency, microseconds */
  nssl: u32(104),
  /** byte 110 PLSI: power loss signaling information */
  plsi: u8(110),
  /** byte 111 CNTRLTYPE: controller type, see ControllerType */
  cntrltype: u8(111),
  /** bytes 127:112 FGUID: FRU globally unique identifier */
  fguid: bytes(112, 16),
  /** bytes 129:128 CRDT1: command retry delay time 1, 100 ms units */
  crdt1: u16(128),
  /** bytes 131:130 CRDT2: command retry delay time 2, 100 ms units */
  crdt2: u16(130),
  /** bytes 133:132 CRDT3: command retry delay time 3, 100 ms units */
  crdt3: u16(132),
  /** bytes 257:256 OACS: optional admin command support, see Oacs */
  oacs: u16(256),
  /** byte 258 ACL: abort command limit, 0's based */
  acl: u8(258),
  /** byte 259 AERL: asynchronous event request limit, 0's based */
  aerl: u8(259),
  /** byte 260 FRMW: firmware updates, see FRMW_LAYOUT */
  frmw: u8(260),
  /** byte 261 LPA: log page attributes, see Lpa */
  lpa: u8(261),
  /** byte 262 ELPE: error log page entries, 0's based */
  elpe: u8(262),
  /** byte 263 NPSS: number of power states supported, 0's based */
  npss: u8(263),
  /** byte 264 AVSCC: admin vendor specific command configuration */
  avscc: u8(264),
  /** byte 265 APSTA: autonomous power state transition attributes */
  apsta: u8(265),
  /** bytes 267:266 WCTEMP: warning composite temperature threshold, kelvin */
  wctemp: u16(266),
  /** bytes 269:268 CCTEMP: critical composite temperature threshold, kelvin */
  cctemp: u16(268),
  /** bytes 271:270 MTFA: maximum time for firmware activation, 100 ms units */
  mtfa: u16(270),
  /** bytes 275:272 HMPRE: host memory buffer preferred size, 4 KiB units */
  hmpre: u32(272),
  /** bytes 279:276 HMMIN: host memory buffer minimum size, 4 KiB units */
  hmmin: u32(276),
  /** bytes 295:280 TNVMCAP: total NVM capacity, bytes */
  tnvmcap: u128(280),
  /** bytes 311:296 UNVMCAP: unallocated NVM capacity, bytes */
  unvmcap: u128(296),
  /** bytes 315:312 RPMBS: replay protected memory block support (docs/spec/boot-partitions.md §3) */
  rpmbs: u32(312),
  /** bytes 317:316 EDSTT: extended device self-test time, minutes */
  edstt: u16(316),
  /** byte 318 DSTO: device self-test options */
  dsto: u8(318),
  /** byte 319 FWUG: firmware update granularity, 4 KiB units; 00h none given, FFh no restriction */
  fwug: u8(319),
  /** bytes 321:320 KAS: keep alive support, 100 ms units, 0 = not supported */
  kas: u16(320),
  /** bytes 323:322 HCTMA: host controlled thermal management attributes */
  hctma: u16(322),
  /** bytes 325:324 MNTMT: minimum thermal management temperature, kelvin */
  mntmt: u16(324),
  /** bytes 327:326 MXTMT: maximum thermal management temperature, kelvin */
  mxtmt: u16(326),
  /** bytes 331:328 SANICAP: sanitize capabilities */
  sanicap: u32(328),
  /** byte 512 SQES: SQ entry size, bits 3:0 required, 7:4 maximum, log2 bytes */
  sqes: u8(512),
  /** byte 513 CQES: CQ entry size, bits 3:0 required, 7:4 maximum, log2 bytes */
  cqes: u8(513),
  /** bytes 515:514 MAXCMD: maximum outstanding commands (fabrics), 0 = not reported */
  maxcmd: u16(514),
  /** bytes 519:516 NN: number of namespaces (largest NSID) */
  nn: u32(516),
  /** bytes 521:520 ONCS: optional NVM command support, see Oncs */
  oncs: u16(520),
  /** bytes 523:522 FUSES: fused operation support */
  fuses: u16(522),
  /** byte 524 FNA: format NVM attributes */
  fna: u8(524),
  /** byte 525 VWC: volatile write cache, see Vwc */
  vwc: u8(525),
  /** bytes 527:526 AWUN: atomic write unit normal, logical blocks, 0's based */
  awun: u16(526),
  /** bytes 529:528 AWUPF: atomic write unit power fail, logical blocks, 0's based */
  awupf: u16(528),
  /** byte 530 ICSVSCC: I/O command set vendor specific command configuration */
  icsvscc: u8(530),
  /** byte 531 NWPC: namespace write protection capabilities (FID 84h, not BPs) */
  nwpc: u8(531),
  /** bytes 533:532 ACWU: atomic compare and write unit, logical blocks, 0's based */
  acwu: u16(532),
  /** bytes 539:536 SGLS: SGL support, 0 = SGLs not supported */
  sgls: u32(536),
  /** bytes 543:540 MNAN: maximum number of allowed namespaces */
  mnan: u32(540),
  /** bytes 1023:768 SUBNQN: NVM subsystem NVMe qualified name, NUL padded */
  subnqn: nqn(768, 256),
});

/** Offset of PSD0; PSD n is at 2048 + 32 n (bytes 3071:2048 hold PSD0-PSD31). */
export const POWER_STATE_DESCRIPTORS_OFFSET = 2048;
/** At most 32 power states (NPSS is 0's based, 5 bits used). */
export const POWER_STATE_DESCRIPTORS_MAX = 32;

function psdOffset(index: number): number {
  return POWER_STATE_DESCRIPTORS_OFFSET + index * POWER_STATE_DESCRIPTOR_SIZE;
}

export type IdentifyController = StructValues<typeof IDENTIFY_CONTROLLER_LAYOUT> & {
  /** PSD0..PSD(NPSS): bytes 2048 + 32 n; the array length is NPSS + 1 */
  psd: PowerStateDescriptor[];
};

/** SQES/CQES bytes for fixed 64-byte SQEs and 16-byte CQEs. */
const SQES_FIXED_64 = SQE_SIZE_LOG2 * 0x11;
const CQES_FIXED_16 = CQE_SIZE_LOG2 * 0x11;
/** QEMU's temperature thresholds (kelvin), kept so both targets report the same identity. */
const WCTEMP_KELVIN = 0x157;
const CCTEMP_KELVIN = 0x175;
/** QEMU's PCI IDs for its nvme device (Red Hat / virtio subsystem vendor). */
const PCI_VENDOR_REDHAT = 0x1b36;
const PCI_SUBSYSTEM_VENDOR_VIRTIO = 0x1af4;

/**
 * The lab's Identify Controller when nothing is overridden: the defaults of
 * docs/model-choices.md (FWUG 01h, MDTS 7, FRMW 03h, LPA with LPEDS, OACS.FWDS, BPCAP 05h).
 */
export const IDENTIFY_CONTROLLER_DEFAULTS: Readonly<IdentifyController> = Object.freeze({
  vid: PCI_VENDOR_REDHAT,
  ssvid: PCI_SUBSYSTEM_VENDOR_VIRTIO,
  sn: "BPLAB0001",
  mn: "bplab NVMe Boot Partition controller",
  fr: "1.0",
  rab: 6,
  ieee: new Uint8Array(3),
  cmic: 0,
  mdts: MDTS_LAB_DEFAULT,
  cntlid: 0,
  ver: NVME_VERSION_2_1,
  rtd3r: 0,
  rtd3e: 0,
  oaes: 0,
  ctratt: 0,
  rrls: 0,
  bpcap: BPCAP_LAB_DEFAULT,
  nssl: 0,
  plsi: 0,
  cntrltype: ControllerType.Io,
  fguid: new Uint8Array(16),
  crdt1: 0,
  crdt2: 0,
  crdt3: 0,
  oacs: Oacs.FirmwareDownload,
  acl: 3,
  aerl: 3,
  frmw: FRMW_LAB_DEFAULT,
  lpa: LPA_LAB_DEFAULT,
  elpe: 63,
  npss: 0,
  avscc: 0,
  apsta: 0,
  wctemp: WCTEMP_KELVIN,
  cctemp: CCTEMP_KELVIN,
  mtfa: 0,
  hmpre: 0,
  hmmin: 0,
  tnvmcap: 0n,
  unvmcap: 0n,
  rpmbs: 0,
  edstt: 0,
  dsto: 0,
  fwug: FWUG_LAB_DEFAULT,
  kas: 0,
  hctma: 0,
  mntmt: 0,
  mxtmt: 0,
  sanicap: 0,
  sqes: SQES_FIXED_64,
  cqes: CQES_FIXED_16,
  maxcmd: 0,
  nn: 1,
  oncs: 0,
  fuses: 0,
  fna: 0,
  vwc: 0,
  awun: 0,
  awupf: 0,
  icsvscc: 0,
  nwpc: 0,
  acwu: 0,
  sgls: 0,
  mnan: 0,
  subnqn: "nqn.2025-01.lab.bplab:nvme-bp-lab",
  psd: [DEFAULT_POWER_STATE],
});

/** Encodes Identify Controller; omitted fields take IDENTIFY_CONTROLLER_DEFAULTS. */
export function encodeIdentifyController(overrides: Partial<IdentifyController> = {}): Uint8Array {
  const values: IdentifyController = { ...IDENTIFY_CONTROLLER_DEFAULTS, ...overrides };
  const writer = new BufferWriter(IDENTIFY_DATA_SIZE);
  writeStruct(writer, "Identify Controller", IDENTIFY_CONTROLLER_LAYOUT, values);
  checkEntryCount(
    "Identify Controller.PSD",
    values.psd.length,
    values.npss + 1,
    POWER_STATE_DESCRIPTORS_MAX,
    "NPSS + 1",
  );
  values.psd.forEach((psd, index) => {
    writeStruct(
      writer,
      `Identify Controller.PSD${index}`,
      POWER_STATE_DESCRIPTOR_LAYOUT,
      psd,
      psdOffset(index),
    );
  });
  return writer.bytes;
}

export function decodeIdentifyController(data: Uint8Array): IdentifyController {
  const reader = new BufferReader(data, "Identify Controller", IDENTIFY_DATA_SIZE);
  const fields = readStruct(reader, IDENTIFY_CONTROLLER_LAYOUT);
  const psd = readEntries(fields.npss + 1, POWER_STATE_DESCRIPTORS_MAX, (index) =>
    readStruct(reader, POWER_STATE_DESCRIPTOR_LAYOUT, psdOffset(index)),
  );
  return Object.assign(fields, { psd });
}

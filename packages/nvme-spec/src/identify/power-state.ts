import { type StructValues, u8, u16, u32 } from "../struct.js";

/** One Power State Descriptor, 32 bytes (Base 2.1 §5.1.13.2.1, Fig. 313). */
export const POWER_STATE_DESCRIPTOR_SIZE = 32;

export const POWER_STATE_DESCRIPTOR_LAYOUT = Object.freeze({
  /** bytes 1:0 MP: maximum power, 0.01 W units (0.0001 W when MXPS=1) */
  mp: u16(0),
  /** byte 3: bit 0 MXPS (max power scale), bit 1 NOPS (non-operational state) */
  flags: u8(3),
  /** bytes 7:4 ENLAT: entry latency, microseconds */
  enlat: u32(4),
  /** bytes 11:8 EXLAT: exit latency, microseconds */
  exlat: u32(8),
  /** byte 12 bits 4:0 RRT: relative read throughput */
  rrt: u8(12),
  /** byte 13 bits 4:0 RRL: relative read latency */
  rrl: u8(13),
  /** byte 14 bits 4:0 RWT: relative write throughput */
  rwt: u8(14),
  /** byte 15 bits 4:0 RWL: relative write latency */
  rwl: u8(15),
  /** bytes 17:16 IDLP: idle power */
  idlp: u16(16),
  /** byte 18 bits 7:6 IPS: idle power scale */
  ips: u8(18),
  /** bytes 21:20 ACTP: active power */
  actp: u16(20),
  /** byte 22: bits 2:0 APW (active power workload), bits 7:6 APS (active power scale) */
  apws: u8(22),
});
export type PowerStateDescriptor = StructValues<typeof POWER_STATE_DESCRIPTOR_LAYOUT>;

/** Power state descriptor flags (byte 3). */
export const PowerStateFlag = Object.freeze({ MaxPowerScale: 1 << 0, NonOperational: 1 << 1 });

/** A single operational power state of 25 W, the lab's default PSD0. */
export const DEFAULT_POWER_STATE: PowerStateDescriptor = Object.freeze({
  mp: 2500,
  flags: 0,
  enlat: 16,
  exlat: 4,
  rrt: 0,
  rrl: 0,
  rwt: 0,
  rwl: 0,
  idlp: 0,
  ips: 0,
  actp: 0,
  apws: 0,
});

import { dwordCodec, type Fields, uint } from "../layout.js";

/** VS: Version, offset 08h, 32-bit, read-only (Base 2.1 §3.1.4.2). Also Identify VER (bytes 83:80). */
export const VS_LAYOUT = Object.freeze({
  /** bits 31:16 MJR: major version (§3.1.4.2) */
  mjr: uint(31, 16),
  /** bits 15:8 MNR: minor version (§3.1.4.2) */
  mnr: uint(15, 8),
  /** bits 7:0 TER: tertiary version (§3.1.4.2) */
  ter: uint(7, 0),
});

export type Vs = Fields<typeof VS_LAYOUT>;

export const vsCodec = dwordCodec("VS", VS_LAYOUT);

/** VS value for NVMe Base 2.1.0, the revision this package follows. */
export const NVME_VERSION_2_1 = 0x0002_0100;
/** VS value for NVMe 1.4.0 (what QEMU's nvme device reports by default). */
export const NVME_VERSION_1_4 = 0x0001_0400;

export function formatVersion(value: number): string {
  const { mjr, mnr, ter } = vsCodec.decode(value);
  return `${mjr}.${mnr}.${ter}`;
}

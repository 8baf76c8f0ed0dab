import { BufferReader } from "../buffer-reader.js";
import { BufferWriter } from "../buffer-writer.js";
import { NvmeSpecError } from "../errors.js";
import { readNsidList } from "../struct.js";
import { IDENTIFY_DATA_SIZE } from "./cns.js";

/** Bytes per NSID in a namespace list. */
const NSID_BYTES = 4;
/** A Namespace List holds up to 1024 NSIDs, ascending, zero terminated (Base 2.1 §4.6.1). */
export const NAMESPACE_LIST_MAX = IDENTIFY_DATA_SIZE / NSID_BYTES;
/** FFFFFFFFh is the broadcast NSID; valid NSIDs run from 1 to FFFFFFFEh (Base 2.1 §3.2.1.2). */
export const NSID_BROADCAST = 0xffff_ffff;
export const NSID_MAX_VALID = 0xffff_fffe;

/** Active Namespace ID list (CNS 02h): NSIDs in increasing order, the rest zero. */
export function encodeNamespaceList(nsids: readonly number[]): Uint8Array {
  if (nsids.length > NAMESPACE_LIST_MAX) {
    throw new NvmeSpecError(
      "FIELD_RANGE",
      "Namespace List length",
      NAMESPACE_LIST_MAX,
      `a Namespace List holds at most ${NAMESPACE_LIST_MAX} NSIDs, got ${nsids.length}`,
    );
  }
  const writer = new BufferWriter(IDENTIFY_DATA_SIZE);
  let previous = 0;
  nsids.forEach((nsid, index) => {
    if (nsid <= previous || nsid > NSID_MAX_VALID) {
      throw new NvmeSpecError(
        "FIELD_RANGE",
        `Namespace List[${index}]`,
        NSID_MAX_VALID,
        `Namespace List entries must be increasing NSIDs from 1 to ${NSID_MAX_VALID}, got ${nsid} after ${previous}`,
      );
    }
    writer.u32(index * NSID_BYTES, `Namespace List[${index}]`, nsid);
    previous = nsid;
  });
  return writer.bytes;
}

export function decodeNamespaceList(data: Uint8Array): number[] {
  return readNsidList(new BufferReader(data, "Namespace List", IDENTIFY_DATA_SIZE), NAMESPACE_LIST_MAX);
}

/** Namespace Identifier Types, NIDT (Base 2.1 §5.1.13.2.3, Fig. 315), and their NID lengths. */
export const NamespaceIdType = Object.freeze({ Eui64: 0x1, Nguid: 0x2, Uuid: 0x3, Csi: 0x4 });
export const NAMESPACE_ID_LENGTH: Readonly<Record<number, number>> = Object.freeze({
  [NamespaceIdType.Eui64]: 8,
  [NamespaceIdType.Nguid]: 16,
  [NamespaceIdType.Uuid]: 16,
  [NamespaceIdType.Csi]: 1,
});
/** Descriptor header: NIDT (byte 0), NIDL (byte 1), reserved (bytes 3:2). */
const DESCRIPTOR_HEADER_BYTES = 4;

export type NamespaceIdDescriptor = { nidt: number; nid: Uint8Array };

/** Namespace Identification Descriptor list (CNS 03h), terminated by a zero NIDT. */
export function encodeNamespaceIdDescriptors(descriptors: readonly NamespaceIdDescriptor[]): Uint8Array {
  const writer = new BufferWriter(IDENTIFY_DATA_SIZE);
  let offset = 0;
  descriptors.forEach(({ nidt, nid }, index) => {
    const expected = NAMESPACE_ID_LENGTH[nidt];
    if (expected === undefined || nid.length !== expected) {
      throw new NvmeSpecError(
        "FIELD_RANGE",
        `Namespace ID descriptor[${index}].NIDL`,
        expected ?? 0,
        `NIDT ${nidt} needs a ${expected ?? "known"}-byte NID, got ${nid.length} bytes`,
      );
    }
    writer
      .u8(offset, "NIDT", nidt)
      .u8(offset + 1, "NIDL", nid.length)
      .raw(offset + DESCRIPTOR_HEADER_BYTES, nid);
    offset += DESCRIPTOR_HEADER_BYTES + nid.length;
  });
  return writer.bytes;
}

export function decodeNamespaceIdDescriptors(data: Uint8Array): NamespaceIdDescriptor[] {
  const reader = new BufferReader(data, "Namespace ID descriptor list", IDENTIFY_DATA_SIZE);
  const out: NamespaceIdDescriptor[] = [];
  let offset = 0;
  while (offset + DESCRIPTOR_HEADER_BYTES <= IDENTIFY_DATA_SIZE) {
    const nidt = reader.u8(offset);
    if (nidt === 0) break;
    const nidl = reader.u8(offset + 1);
    out.push({ nidt, nid: reader.slice(offset + DESCRIPTOR_HEADER_BYTES, nidl) });
    offset += DESCRIPTOR_HEADER_BYTES + nidl;
  }
  return out;
}

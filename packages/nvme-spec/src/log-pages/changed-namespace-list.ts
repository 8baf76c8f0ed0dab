import { checkUint, U32_MAX } from "../bits.js";
import { BufferReader } from "../buffer-reader.js";
import { BufferWriter } from "../buffer-writer.js";
import { readNsidList } from "../struct.js";

/**
 * LID 04h Changed Namespace List (Base 2.1 §5.1.12.1.5): up to 1024 NSIDs, 4 bytes each, in
 * ascending order, zero-filled after the last one. A first entry of FFFFFFFFh means more than
 * 1024 namespaces changed.
 */
export const CHANGED_NAMESPACE_LIST_SIZE = 4096;
const ENTRY_BYTES = 4;
/** The most NSIDs the list can name before it overflows to FFFFFFFFh. */
export const CHANGED_NAMESPACE_LIST_MAX_ENTRIES = CHANGED_NAMESPACE_LIST_SIZE / ENTRY_BYTES;
/** First entry FFFFFFFFh: more namespaces changed than the list can hold. */
export const CHANGED_NAMESPACE_LIST_OVERFLOW = 0xffff_ffff;

export function encodeChangedNamespaceList(nsids: readonly number[]): Uint8Array {
  const writer = new BufferWriter(CHANGED_NAMESPACE_LIST_SIZE);
  if (nsids.length > CHANGED_NAMESPACE_LIST_MAX_ENTRIES) {
    writer.u32(0, "Changed Namespace List[0]", CHANGED_NAMESPACE_LIST_OVERFLOW);
    return writer.bytes;
  }
  nsids.forEach((nsid, index) => {
    checkUint(`Changed Namespace List[${index}]`, nsid, U32_MAX);
    writer.u32(index * ENTRY_BYTES, `Changed Namespace List[${index}]`, nsid);
  });
  return writer.bytes;
}

/** The NSIDs up to the first zero entry; an overflowed list decodes as [FFFFFFFFh]. */
export function decodeChangedNamespaceList(data: Uint8Array): number[] {
  const reader = new BufferReader(data, "Changed Namespace List log", CHANGED_NAMESPACE_LIST_SIZE);
  return readNsidList(reader, CHANGED_NAMESPACE_LIST_MAX_ENTRIES);
}

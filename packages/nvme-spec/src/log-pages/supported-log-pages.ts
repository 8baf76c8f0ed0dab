import { checkUint, U8_MAX } from "../bits.js";
import { BufferReader } from "../buffer-reader.js";
import { BufferWriter } from "../buffer-writer.js";
import { dwordCodec, type Fields, flag, uint } from "../layout.js";

/**
 * LID 00h Supported Log Pages (Base 2.1 §5.1.12.1.1, Fig. 204): 256 dwords, entry n describes
 * LID n. The BP log shows up here when supported (2.2 §8.1.3.1).
 */
export const SUPPORTED_LOG_PAGES_SIZE = 1024;
const ENTRY_BYTES = 4;
const LID_COUNT = SUPPORTED_LOG_PAGES_SIZE / ENTRY_BYTES;

/** One LID Supported and Effects entry (Fig. 205). */
export const SUPPORTED_LOG_PAGE_ENTRY_LAYOUT = Object.freeze({
  /** bit 0 LSUPP: the log page is supported */
  lsupp: flag(0),
  /** bit 1 IOS: index offset (OT=1) supported */
  ios: flag(1),
  /** bits 31:16 LIDSP: LID specific parameter */
  lidsp: uint(31, 16),
});
export type SupportedLogPageEntry = Fields<typeof SUPPORTED_LOG_PAGE_ENTRY_LAYOUT>;
export const supportedLogPageEntryCodec = dwordCodec(
  "Supported Log Pages entry",
  SUPPORTED_LOG_PAGE_ENTRY_LAYOUT,
);

/** LID → entry; LIDs not present are unsupported (all-zero entry). */
export type SupportedLogPages = ReadonlyMap<number, SupportedLogPageEntry>;

export function encodeSupportedLogPages(pages: SupportedLogPages): Uint8Array {
  const writer = new BufferWriter(SUPPORTED_LOG_PAGES_SIZE);
  for (const [lid, entry] of pages) {
    checkUint("Supported Log Pages LID", lid, U8_MAX);
    writer.u32(lid * ENTRY_BYTES, `Supported Log Pages[${lid}]`, supportedLogPageEntryCodec.encode(entry));
  }
  return writer.bytes;
}

/** Only entries with a non-zero dword are returned. */
export function decodeSupportedLogPages(data: Uint8Array): Map<number, SupportedLogPageEntry> {
  const reader = new BufferReader(data, "Supported Log Pages log", SUPPORTED_LOG_PAGES_SIZE);
  const pages = new Map<number, SupportedLogPageEntry>();
  for (let lid = 0; lid < LID_COUNT; lid++) {
    const dword = reader.u32(lid * ENTRY_BYTES);
    if (dword !== 0) pages.set(lid, supportedLogPageEntryCodec.decode(dword));
  }
  return pages;
}

/** A simple "these LIDs are supported" entry set. */
export function supportedLogPagesOf(lids: Iterable<number>): Map<number, SupportedLogPageEntry> {
  const pages = new Map<number, SupportedLogPageEntry>();
  for (const lid of lids) pages.set(lid, { lsupp: true, ios: false, lidsp: 0 });
  return pages;
}

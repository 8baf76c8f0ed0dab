/**
 * The demo's firmware image: a readable header, then bytes that differ at every position, made
 * window by window so a 1 GiB BP never needs a 1 GiB buffer.
 */
import { createHash } from "node:crypto";

const HEADER = new TextEncoder().encode("BPLAB DEMO BOOT IMAGE v1\n");

/** The image bytes at [offset, offset + length); `generation` makes a second, different image. */
export function demoImageWindow(offset: number, length: number, generation = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const position = offset + i;
    bytes[i] =
      position < HEADER.length
        ? (HEADER[position] ?? 0)
        : (position * 7 + (position >>> 12) + generation * 91) & 0xff;
  }
  return bytes;
}

export function demoImageSha256(sizeBytes: number, windowBytes: number, generation = 1): string {
  const hash = createHash("sha256");
  for (let offset = 0; offset < sizeBytes; offset += windowBytes) {
    hash.update(demoImageWindow(offset, Math.min(windowBytes, sizeBytes - offset), generation));
  }
  return hash.digest("hex");
}

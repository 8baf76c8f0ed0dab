import { createHash } from "node:crypto";

/** Recognisable bytes per seed: a SHA-256 counter stream, so two images never collide. */
export function seededImage(length: number, seed: string): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let block = 0; block * 32 < length; block++) {
    const digest = createHash("sha256").update(`${seed}/${block}`).digest();
    bytes.set(digest.subarray(0, Math.min(32, length - block * 32)), block * 32);
  }
  return bytes;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

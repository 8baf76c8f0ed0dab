/**
 * The images of the kill -9 test. Generation g fills every 4 KiB block with a g-specific byte and
 * stamps it with g and the block index, so two generations differ in every block and a block
 * copied to the wrong place is caught. Past the image length a BP holds zeros (MC-21).
 */
export const BLOCK_BYTES = 4096;
/** Large pieces keep a 1 GiB image to 64 writes and 64 compares. */
export const PIECE_BYTES = 16 * 1024 * 1024;

export interface CrashImage {
  generation: number;
  lengthBytes: number;
}

/** The bytes a BP holding `image` has at [offset, offset + length). */
export function imageBytes(image: CrashImage, offset: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  const filledEnd = Math.min(length, Math.max(0, image.lengthBytes - offset));
  if (filledEnd === 0) return bytes;
  bytes.fill((image.generation * 37 + 1) & 0xff, 0, filledEnd);
  const view = new DataView(bytes.buffer);
  for (let at = 0; at < filledEnd; at += BLOCK_BYTES) {
    view.setUint32(at, image.generation, true);
    view.setUint32(at + 4, (offset + at) / BLOCK_BYTES, true);
  }
  return bytes;
}

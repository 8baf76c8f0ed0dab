/**
 * A fixed-size byte space that only allocates the chunks that were written. Absent chunks read as
 * zeros, so a 1 GiB Boot Partition costs nothing in RAM until it holds data, and "zero-filled to
 * the BP size" (MC-21) is free.
 */

/** 64 KiB: large enough that a 1 GiB image is only 16 Ki map entries, small enough for sparse tests. */
const CHUNK_BYTES = 64 * 1024;
/**
 * Released chunks kept for reuse (2 MiB). A staging area is emptied after every commit or
 * discard and refilled by the next download; a fresh zeroed 64 KiB chunk each time was 4–6% of
 * the property test's time plus the GC it caused (issue 13). Bounded so a 1 GiB image, once
 * released, does not stay in RAM.
 */
const SPARE_CHUNKS_MAX = 32;

export class SparseBytes {
  readonly sizeBytes: number;
  readonly #chunks = new Map<number, Uint8Array>();
  /** Released chunks with stale bytes; #takeChunk zeroes one before it is used again. */
  readonly #spare: Uint8Array[] = [];

  constructor(sizeBytes: number) {
    this.sizeBytes = sizeBytes;
  }

  /** Bytes of RAM held by written chunks (for tests and benchmarks); spare chunks are not counted. */
  get allocatedBytes(): number {
    return this.#chunks.size * CHUNK_BYTES;
  }

  /** Callers check the range first (geometry.checkRange). */
  read(offset: number, into: Uint8Array): void {
    this.#forEachPiece(offset, into.length, (chunkIndex, inChunk, done, length) => {
      const chunk = this.#chunks.get(chunkIndex);
      if (chunk) into.set(chunk.subarray(inChunk, inChunk + length), done);
      else into.fill(0, done, done + length);
    });
  }

  write(offset: number, data: Uint8Array): void {
    this.#forEachPiece(offset, data.length, (chunkIndex, inChunk, done, length) => {
      let chunk = this.#chunks.get(chunkIndex);
      if (!chunk) {
        chunk = this.#takeChunk();
        this.#chunks.set(chunkIndex, chunk);
      }
      chunk.set(data.subarray(done, done + length), inChunk);
    });
  }

  /** Whole chunks are dropped (they read as zeros again); partial ones are cleared in place. */
  zero(offset: number, length: number): void {
    this.#forEachPiece(offset, length, (chunkIndex, inChunk, _done, pieceLength) => {
      if (pieceLength === CHUNK_BYTES) this.#release(chunkIndex);
      else this.#chunks.get(chunkIndex)?.fill(0, inChunk, inChunk + pieceLength);
    });
  }

  /** Every byte reads as zero again; the chunks are kept (up to the spare limit) for later writes. */
  clear(): void {
    for (const chunkIndex of [...this.#chunks.keys()]) this.#release(chunkIndex);
  }

  #release(chunkIndex: number): void {
    const chunk = this.#chunks.get(chunkIndex);
    if (!chunk) return;
    this.#chunks.delete(chunkIndex);
    if (this.#spare.length < SPARE_CHUNKS_MAX) this.#spare.push(chunk);
  }

  #takeChunk(): Uint8Array {
    const spare = this.#spare.pop();
    return spare ? spare.fill(0) : new Uint8Array(CHUNK_BYTES);
  }

  #forEachPiece(
    offset: number,
    length: number,
    visit: (chunkIndex: number, offsetInChunk: number, done: number, pieceLength: number) => void,
  ): void {
    let done = 0;
    while (done < length) {
      const position = offset + done;
      const chunkIndex = Math.floor(position / CHUNK_BYTES);
      const offsetInChunk = position % CHUNK_BYTES;
      const pieceLength = Math.min(CHUNK_BYTES - offsetInChunk, length - done);
      visit(chunkIndex, offsetInChunk, done, pieceLength);
      done += pieceLength;
    }
  }
}

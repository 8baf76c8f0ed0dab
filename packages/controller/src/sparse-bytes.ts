/**
 * A fixed-size byte space that only allocates the chunks that were written. Absent chunks read as
 * zeros, so a 1 GiB Boot Partition costs nothing in RAM until it holds data, and "zero-filled to
 * the BP size" (MC-21) is free.
 */

/** 64 KiB: large enough that a 1 GiB image is only 16 Ki map entries, small enough for sparse tests. */
const CHUNK_BYTES = 64 * 1024;

export class SparseBytes {
  readonly sizeBytes: number;
  readonly #chunks = new Map<number, Uint8Array>();

  constructor(sizeBytes: number) {
    this.sizeBytes = sizeBytes;
  }

  /** Bytes of RAM held by written chunks (for tests and benchmarks). */
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
        chunk = new Uint8Array(CHUNK_BYTES);
        this.#chunks.set(chunkIndex, chunk);
      }
      chunk.set(data.subarray(done, done + length), inChunk);
    });
  }

  /** Whole chunks are dropped (they read as zeros again); partial ones are cleared in place. */
  zero(offset: number, length: number): void {
    this.#forEachPiece(offset, length, (chunkIndex, inChunk, _done, pieceLength) => {
      if (pieceLength === CHUNK_BYTES) this.#chunks.delete(chunkIndex);
      else this.#chunks.get(chunkIndex)?.fill(0, inChunk, inChunk + pieceLength);
    });
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

import { bufferSizeError } from "./errors.js";

/** Little-endian reads at fixed byte offsets, the counterpart of BufferWriter. */
export class BufferReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    structure: string,
    expectedLength: number,
  ) {
    if (bytes.length < expectedLength) throw bufferSizeError(structure, bytes.length, expectedLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u8(offset: number): number {
    return this.view.getUint8(offset);
  }

  u16(offset: number): number {
    return this.view.getUint16(offset, true);
  }

  u32(offset: number): number {
    return this.view.getUint32(offset, true);
  }

  u64(offset: number): bigint {
    return this.view.getBigUint64(offset, true);
  }

  u128(offset: number): bigint {
    return this.view.getBigUint64(offset, true) | (this.view.getBigUint64(offset + 8, true) << 64n);
  }

  /** An ASCII field with its trailing spaces and NULs removed. */
  ascii(offset: number, length: number): string {
    let end = offset + length;
    while (end > offset && (this.bytes[end - 1] === SPACE || this.bytes[end - 1] === NUL)) end--;
    let text = "";
    for (let i = offset; i < end; i++) text += String.fromCharCode(this.bytes[i]!);
    return text;
  }

  slice(offset: number, length: number): Uint8Array {
    return this.bytes.slice(offset, offset + length);
  }
}

const SPACE = 0x20;
const NUL = 0x00;

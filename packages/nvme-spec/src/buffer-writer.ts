import { checkU64, checkUint, U8_MAX, U16_MAX, U32_MAX } from "./bits.js";
import { fieldRangeError } from "./errors.js";

/**
 * Little-endian writes at fixed byte offsets into a structure of known size. NVMe data
 * structures are defined by byte offset (Identify, log pages), so writes are positional; every
 * write names its field so a bad value reports which field it was.
 */
export class BufferWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  u8(offset: number, field: string, value: number): this {
    this.view.setUint8(offset, checkUint(field, value, U8_MAX));
    return this;
  }

  u16(offset: number, field: string, value: number): this {
    this.view.setUint16(offset, checkUint(field, value, U16_MAX), true);
    return this;
  }

  u32(offset: number, field: string, value: number): this {
    this.view.setUint32(offset, checkUint(field, value, U32_MAX), true);
    return this;
  }

  u64(offset: number, field: string, value: bigint): this {
    this.view.setBigUint64(offset, checkU64(field, value), true);
    return this;
  }

  /** A 128-bit little-endian counter (SMART / Health log counters are 16 bytes). */
  u128(offset: number, field: string, value: bigint): this {
    if (typeof value !== "bigint" || value < 0n || value >= 1n << 128n) {
      throw fieldRangeError(field, value, (1n << 128n) - 1n);
    }
    this.view.setBigUint64(offset, value & 0xffff_ffff_ffff_ffffn, true);
    this.view.setBigUint64(offset + 8, value >> 64n, true);
    return this;
  }

  /**
   * An ASCII string padded with spaces to `length` bytes, as Identify requires for SN, MN and FR.
   * Longer strings and non-printable characters are rejected rather than cut.
   */
  ascii(offset: number, length: number, field: string, text: string, pad = " "): this {
    if (text.length > length) throw fieldRangeError(`${field} length`, text.length, length);
    for (let i = 0; i < length; i++) {
      const code = i < text.length ? text.charCodeAt(i) : pad.charCodeAt(0);
      if (i < text.length && (code < ASCII_PRINTABLE_FIRST || code > ASCII_PRINTABLE_LAST)) {
        throw fieldRangeError(`${field}[${i}] character code`, code, ASCII_PRINTABLE_LAST);
      }
      this.view.setUint8(offset + i, code);
    }
    return this;
  }

  raw(offset: number, data: Uint8Array): this {
    this.bytes.set(data, offset);
    return this;
  }
}

/** Printable ASCII: space (20h) to tilde (7Eh). */
export const ASCII_PRINTABLE_FIRST = 0x20;
export const ASCII_PRINTABLE_LAST = 0x7e;
/** NUL pads strings such as SUBNQN (Identify bytes 1023:768). */
export const ASCII_NUL = "\0";

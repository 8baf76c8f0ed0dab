/** Little-endian field reads over one message, each checked against the message's end. */

import { badMessage } from "../errors.js";
import { Errno } from "./constants.js";

export class BufferReader {
  constructor(
    readonly bytes: Buffer,
    private readonly what: string,
  ) {}

  get length(): number {
    return this.bytes.length;
  }

  private check(offset: number, width: number): void {
    if (offset + width > this.bytes.length)
      throw badMessage(Errno.EINVAL, `${this.what}: ${this.bytes.length} bytes, field at ${offset}+${width}`);
  }

  u16(offset: number): number {
    this.check(offset, 2);
    return this.bytes.readUInt16LE(offset);
  }

  u32(offset: number): number {
    this.check(offset, 4);
    return this.bytes.readUInt32LE(offset);
  }

  u64(offset: number): bigint {
    this.check(offset, 8);
    return this.bytes.readBigUInt64LE(offset);
  }

  slice(offset: number, length: number): Buffer {
    this.check(offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
}

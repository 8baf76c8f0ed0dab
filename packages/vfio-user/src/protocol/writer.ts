/** Builds one message: little-endian fields at fixed offsets in a zeroed buffer of known size. */
export class BufferWriter {
  readonly bytes: Buffer;

  constructor(size: number) {
    this.bytes = Buffer.alloc(size);
  }

  u16(offset: number, value: number): this {
    this.bytes.writeUInt16LE(value, offset);
    return this;
  }

  u32(offset: number, value: number): this {
    this.bytes.writeUInt32LE(value >>> 0, offset);
    return this;
  }

  u64(offset: number, value: bigint): this {
    this.bytes.writeBigUInt64LE(BigInt.asUintN(64, value), offset);
    return this;
  }

  data(offset: number, data: Uint8Array): this {
    this.bytes.set(data, offset);
    return this;
  }
}

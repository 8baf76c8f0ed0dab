/**
 * Frames the byte stream into messages (like pg-protocol's Parser): push chunks, get whole messages.
 * A header whose size is below 16 or above the limit cannot be skipped safely, so it ends the
 * stream (the server disconnects); everything inside a well-framed message is the decoder's job.
 */
import { desync } from "../errors.js";
import { Errno, HEADER_BYTES, Limits } from "./constants.js";
import { decodeHeader, type RawMessage } from "./messages.js";

export class MessageParser {
  private buffered: Buffer = Buffer.alloc(0);
  /** fds that arrived and are not yet given to a message. */
  private pendingFds: number[] = [];

  constructor(private readonly maxMessageBytes: number = Limits.maxMessageBytes) {}

  /** Bytes held for an incomplete message. */
  get bufferedBytes(): number {
    return this.buffered.length;
  }

  /** fds held for a message that has not fully arrived; the owner closes them on disconnect. */
  takeUnclaimedFds(): number[] {
    return this.pendingFds.splice(0);
  }

  /**
   * Adds a chunk and returns the complete messages in it. fds belong to the first message that
   * completes with or after the chunk that carried them (Linux ends a recvmsg at an fd-carrying skb).
   */
  push(chunk: Uint8Array, fds: readonly number[] = []): RawMessage[] {
    if (fds.length) this.pendingFds.push(...fds);
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : Buffer.from(chunk);
    const messages: RawMessage[] = [];
    let at = 0;
    while (this.buffered.length - at >= HEADER_BYTES) {
      const size = this.buffered.readUInt32LE(at + 4);
      if (size < HEADER_BYTES || size > this.maxMessageBytes) {
        this.buffered = Buffer.alloc(0);
        throw desync(Errno.EINVAL, `message size ${size} outside [${HEADER_BYTES}, ${this.maxMessageBytes}]`);
      }
      if (this.buffered.length - at < size) break;
      const bytes = Buffer.from(this.buffered.subarray(at, at + size));
      messages.push({ header: decodeHeader(bytes), bytes, fds: this.pendingFds.splice(0) });
      at += size;
    }
    this.buffered = at === this.buffered.length ? Buffer.alloc(0) : this.buffered.subarray(at);
    return messages;
  }
}

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
   * Adds a chunk (one recvmsg) and returns the complete messages in it. Linux ends a recvmsg on a
   * unix stream socket right after the skb that carried fds, so the chunk's fds belong to the
   * message that holds the chunk's LAST byte: the last message completed here when the chunk ends
   * on a boundary, else the message still in progress. fds held from earlier chunks belong to the
   * message that was in progress before this one, the first to complete now.
   */
  push(chunk: Uint8Array, fds: readonly number[] = []): RawMessage[] {
    const heldFds = this.pendingFds.splice(0);
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : Buffer.from(chunk);
    const messages: { header: RawMessage["header"]; bytes: Buffer; fds: number[] }[] = [];
    let at = 0;
    while (this.buffered.length - at >= HEADER_BYTES) {
      const size = this.buffered.readUInt32LE(at + 4);
      if (size < HEADER_BYTES || size > this.maxMessageBytes) {
        this.buffered = Buffer.alloc(0);
        // The stream ends: every fd of this chunk and of the messages lost with it goes back to the
        // owner, who closes them on disconnect.
        this.pendingFds.push(...(messages.length ? [] : heldFds), ...messages.flatMap((m) => m.fds), ...fds);
        throw desync(Errno.EINVAL, `message size ${size} outside [${HEADER_BYTES}, ${this.maxMessageBytes}]`);
      }
      if (this.buffered.length - at < size) break;
      const bytes = Buffer.from(this.buffered.subarray(at, at + size));
      messages.push({ header: decodeHeader(bytes), bytes, fds: messages.length === 0 ? heldFds : [] });
      at += size;
    }
    const endsOnBoundary = at === this.buffered.length;
    const lastMessage = messages.at(-1);
    if (endsOnBoundary && lastMessage) lastMessage.fds.push(...fds);
    else {
      if (!lastMessage) this.pendingFds.push(...heldFds);
      this.pendingFds.push(...fds);
    }
    this.buffered = endsOnBoundary ? Buffer.alloc(0) : this.buffered.subarray(at);
    return messages;
  }
}

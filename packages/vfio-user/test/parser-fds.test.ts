// Which message an fd belongs to. Linux ends a recvmsg on a unix stream socket right after the skb
// that carried fds, so a read that holds several messages carries the fds of the LAST one (the
// message holding the read's final byte); a read that ends inside a message carries that message's
// fds. Before this was fixed the parser gave them to the first complete message: a DMA_UNMAP got the
// fd of the DMA_MAP behind it (EINVAL), and a RAM map lost its fd to a ROM map.
import { describe, expect, it } from "vitest";
import { Command, MessageParser } from "../src/index.js";
import { message } from "../src/testing/index.js";

const first = message(1, Command.DmaUnmap, new Uint8Array(8));
const second = message(2, Command.DmaMap, new Uint8Array(16));

describe("MessageParser fd attribution", () => {
  it("gives a read's fds to the last message of that read", () => {
    const parser = new MessageParser();
    const messages = parser.push(Buffer.concat([first, second]), [7]);
    expect(messages.map((m) => [m.header.id, [...m.fds]])).toEqual([
      [1, []],
      [2, [7]],
    ]);
  });

  it("gives the fds of a read that ends inside a message to that message", () => {
    const parser = new MessageParser();
    const cut = first.length + 4;
    const bytes = Buffer.concat([first, second]);
    const head = parser.push(bytes.subarray(0, cut), [9]);
    expect(head.map((m) => [m.header.id, [...m.fds]])).toEqual([[1, []]]);
    const tail = parser.push(bytes.subarray(cut));
    expect(tail.map((m) => [m.header.id, [...m.fds]])).toEqual([[2, [9]]]);
  });

  it("keeps fds of an earlier read with the message that read was part of", () => {
    const parser = new MessageParser();
    const cut = 10;
    expect(parser.push(first.subarray(0, cut), [3])).toEqual([]);
    const messages = parser.push(Buffer.concat([first.subarray(cut), second]), [4]);
    expect(messages.map((m) => [m.header.id, [...m.fds]])).toEqual([
      [1, [3]],
      [2, [4]],
    ]);
  });

  it("hands held fds back to the owner when a bad size ends the stream", () => {
    const parser = new MessageParser();
    parser.push(first.subarray(0, 10), [5]);
    // The rest of `first`, then a header whose size field is 0.
    expect(() => parser.push(Buffer.concat([first.subarray(10), Buffer.alloc(16)]), [6])).toThrow();
    expect(parser.takeUnclaimedFds().sort()).toEqual([5, 6]);
  });
});

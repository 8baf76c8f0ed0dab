import { Duplex } from "node:stream";

/** The other end of a qtest or QMP socket, in memory: records what the client wrote, replies on demand. */
export class FakePeer {
  readonly written: string[] = [];
  private readonly waiters: Array<() => void> = [];
  readonly stream: Duplex;

  constructor() {
    this.stream = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, callback) => {
        this.written.push(chunk.toString("latin1"));
        for (const wake of this.waiters.splice(0)) wake();
        callback();
      },
    });
  }

  /** Everything the client wrote, joined. */
  get output(): string {
    return this.written.join("");
  }

  /** Sends raw bytes to the client. */
  send(text: string): void {
    this.stream.push(Buffer.from(text, "latin1"));
  }

  /** Resolves once the client has written `count` chunks in total. */
  async waitForWrites(count: number): Promise<void> {
    while (this.written.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** The peer hangs up (QEMU exited). */
  hangUp(): void {
    this.stream.destroy();
  }
}

/** Lets queued stream events run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A raw vfio-user client for protocol tests: bytes in, exact bytes out. It frames what the server
 * sends by the header's size field only, so a test sees every byte of every message.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryStore } from "@bplab/controller";
import { startVfioUserServer, type VfioUserNvmeServer, type VfioUserServerOptions } from "../../src/index.js";
import { versionRequest } from "../../src/testing/index.js";

export class RawClient {
  private buffered = Buffer.alloc(0);
  private readonly waiters: Array<() => void> = [];
  ended = false;

  constructor(readonly socket: Socket) {
    socket.on("data", (chunk) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake();
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  static connect(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path, () => resolve(new RawClient(socket)));
      socket.once("error", reject);
    });
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next whole message the server sends (framed by its size field). */
  async next(): Promise<Buffer> {
    for (;;) {
      if (this.buffered.length >= 8) {
        const size = this.buffered.readUInt32LE(4);
        if (this.buffered.length >= size) {
          const message = this.buffered.subarray(0, size);
          this.buffered = this.buffered.subarray(size);
          return Buffer.from(message);
        }
      }
      if (this.ended)
        throw new Error(`the server closed the connection (${this.buffered.length} bytes pending)`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Sends a request and returns the next message. */
  async request(bytes: Uint8Array): Promise<Buffer> {
    this.send(bytes);
    return this.next();
  }

  /** Resolves when the server has closed the connection. */
  async closed(): Promise<void> {
    while (!this.ended) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  get pendingBytes(): number {
    return this.buffered.length;
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface Harness {
  server: VfioUserNvmeServer;
  path: string;
  logs: string[];
  /** A client that already negotiated VERSION. */
  client(): Promise<RawClient>;
  close(): Promise<void>;
}

export async function startHarness(options: Partial<VfioUserServerOptions> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "bplab-vfio-user-test-"));
  const path = join(dir, "s.sock");
  const logs: string[] = [];
  const server = await startVfioUserServer({
    store: createMemoryStore({ bpSizeBytes: 128 * 1024 }),
    log: (line) => logs.push(line),
    ...options,
    socketPath: path,
  });
  const clients: RawClient[] = [];
  return {
    server,
    path,
    logs,
    client: () => negotiatedClient(path, clients),
    async close() {
      for (const client of clients) client.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Connects, negotiates VERSION, and records the client so the harness closes it. */
async function negotiatedClient(path: string, clients: RawClient[]): Promise<RawClient> {
  const client = await RawClient.connect(path);
  clients.push(client);
  await client.request(versionRequest(0));
  return client;
}

/** Header fields of a message, for readable assertions. */
export function headerOf(message: Buffer) {
  return {
    id: message.readUInt16LE(0),
    command: message.readUInt16LE(2),
    size: message.readUInt32LE(4),
    flags: message.readUInt32LE(8),
    error: message.readUInt32LE(12),
  };
}

/** A server in a child process (see server-process.ts) and a negotiated raw client. */
export interface ChildHarness {
  path: string;
  child: import("node:child_process").ChildProcess;
  client(): Promise<RawClient>;
  /** Peak and current RSS are not visible here; the child's pid is, for the fuzzer. */
  close(): Promise<void>;
}

export async function startChildServer(options: Record<string, unknown>): Promise<ChildHarness> {
  const { spawn } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const dir = await mkdtemp(join(tmpdir(), "bplab-vfio-user-child-"));
  const path = join(dir, "s.sock");
  const script = fileURLToPath(new URL("./server-process.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, path, JSON.stringify(options)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`server process exited with ${code}`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("listening")) resolve();
    });
  });
  const clients: RawClient[] = [];
  return {
    path,
    child,
    client: () => negotiatedClient(path, clients),
    async close() {
      for (const client of clients) client.close();
      const exited = new Promise((resolve) => child.once("exit", resolve));
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resident set size of a process in KiB (Linux /proc). */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
}

/** Open file descriptors of a process (Linux /proc). */
export function openFdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

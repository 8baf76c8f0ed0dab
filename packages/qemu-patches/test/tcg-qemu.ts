/**
 * A QEMU under TCG, with a QMP connection, for tests that need a real guest CPU. @bplab/qtest has
 * a launcher and a QMP client, but it depends on this package (it finds the binary here), so this
 * package's tests cannot use it; this is the little of it they need. QEMU connects to a socket
 * the test listens on (`-qmp unix:PATH`), so there is no race for a socket file to appear.
 * `stop()` kills the process whatever state it is in; call it in a `finally`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CodedError } from "@bplab/node-kit";
import { qemuBinaryPath } from "../src/build.js";

export type TcgQemuErrorCode = "QEMU_EXITED" | "QMP_ERROR";

export class TcgQemuError extends CodedError<TcgQemuErrorCode> {}

/**
 * The QEMU these tests run: `BPLAB_QEMU` if set (to run them against another build of the series),
 * else the patched build in the cache; `reason` says why there is none (`BPLAB_SKIP_QEMU=1`, no build).
 */
export function qemuUnderTest(): { path?: string; reason?: string } {
  if (process.env.BPLAB_SKIP_QEMU === "1") return { reason: "BPLAB_SKIP_QEMU=1" };
  const override = process.env.BPLAB_QEMU;
  if (override)
    return existsSync(override) ? { path: override } : { reason: `BPLAB_QEMU=${override} does not exist` };
  try {
    return { path: qemuBinaryPath() };
  } catch (error) {
    return { reason: (error as Error).message };
  }
}

const STDERR_TAIL_BYTES = 4096;

export class TcgQemu {
  private readonly lines: string[] = [];
  private waiter?: () => void;
  private stderr = "";
  private exited?: string;
  private socketError?: string;

  private constructor(
    private readonly child: ChildProcess,
    private readonly socket: Socket,
    readonly dir: string,
  ) {
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-STDERR_TAIL_BYTES);
    });
    child.on("exit", (code, signal) => {
      this.exited = `QEMU exited (code ${code}, signal ${signal}); stderr: ${this.stderr.trim()}`;
      this.waiter?.();
    });
    let pending = "";
    socket.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      this.lines.push(...parts.filter((line) => line.trim() !== ""));
      this.waiter?.();
    });
    socket.on("close", () => this.waiter?.());
    // A killed QEMU resets the QMP connection; without a listener that ECONNRESET would be an
    // uncaught exception in the test run. Record it and let a waiting command fail instead.
    socket.on("error", (error) => {
      this.socketError ??= `QMP socket: ${error.message}`;
      this.waiter?.();
    });
  }

  /** Starts `binary` with `args` plus `-qmp`, and negotiates QMP capabilities. */
  static async start(binary: string, args: readonly string[]): Promise<TcgQemu> {
    const dir = mkdtempSync(join(tmpdir(), "bplab-tcg-"));
    const socketPath = join(dir, "qmp.sock");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const child = spawn(binary, [...args, "-qmp", `unix:${socketPath}`], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      const socket = await new Promise<Socket>((resolve, reject) => {
        server.once("connection", resolve);
        child.once("exit", (code) =>
          reject(new TcgQemuError("QEMU_EXITED", `QEMU exited (${code}): ${stderr}`)),
        );
        child.once("error", reject);
      });
      const qemu = new TcgQemu(child, socket, dir);
      await qemu.nextLine(); // the greeting
      await qemu.execute("qmp_capabilities");
      return qemu;
    } catch (error) {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      throw error;
    } finally {
      server.close();
    }
  }

  private async nextLine(): Promise<string> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.exited) throw new TcgQemuError("QEMU_EXITED", this.exited);
      if (this.socketError) throw new TcgQemuError("QEMU_EXITED", this.socketError);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /** Runs a QMP command and returns its `return` value; events in between are dropped. */
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    this.socket.write(`${JSON.stringify({ execute: command, arguments: args })}\n`);
    for (;;) {
      const reply = JSON.parse(await this.nextLine()) as { return?: unknown; error?: { desc: string } };
      if (reply.error) throw new TcgQemuError("QMP_ERROR", `${command}: ${reply.error.desc}`);
      if ("return" in reply) return reply.return;
    }
  }

  /** Reads `count` little-endian dwords of guest physical memory (or MMIO) with HMP `xp`. */
  async readDwords(address: number, count: number): Promise<number[]> {
    const output = (await this.execute("human-monitor-command", {
      "command-line": `xp /${count}wx 0x${address.toString(16)}`,
    })) as string;
    const words = [...output.matchAll(/0x([0-9a-f]{8})\b/g)].map((match) =>
      Number.parseInt(match[1] ?? "", 16),
    );
    if (words.length !== count)
      throw new TcgQemuError("QMP_ERROR", `xp: cannot parse ${JSON.stringify(output)}`);
    return words;
  }

  /** Guest physical memory through QMP `pmemsave` (RAM only). */
  async readMemory(address: number, size: number): Promise<Buffer> {
    const filename = join(this.dir, `pmem-${address}-${size}.bin`);
    await this.execute("pmemsave", { val: address, size, filename });
    return readFileSync(filename);
  }

  /** Resolves once QEMU has exited on its own (after QMP `quit`), so its exit-time output is complete. */
  async waitForExit(): Promise<void> {
    while (!this.exited) {
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  async stop(): Promise<void> {
    this.socket.destroy();
    if (!this.exited) {
      const gone = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
      this.child.kill("SIGKILL");
      await gone;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The unix socket under the server, with or without fd passing. Node's `net` drops SCM_RIGHTS
 * ancillary data, so guest-memory fds and interrupt eventfds need the `usocket` addon; without it
 * the server still serves polling hosts through DMA messages and says that interrupts are off.
 *
 * Every write goes out with a synchronous write(2) on the socket's fd, and a DMA request waits for
 * its reply with synchronous reads (`readSync`): the controller's HostMemory port is synchronous,
 * so a DMA message must complete inside the port call (docs/vfio-user.md, "DMA").
 */
import { closeSync, readSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer, type Server, type Socket } from "node:net";

export interface Connection {
  /** The socket's file descriptor, for synchronous reads and writes. */
  readonly fd: number;
  readonly passesFds: boolean;
  onData(listener: (chunk: Buffer, fds: readonly number[]) => void): void;
  onClose(listener: () => void): void;
  close(): void;
}

export interface Listener {
  readonly passesFds: boolean;
  onConnection(listener: (connection: Connection) => void): void;
  close(): void;
}

interface USocketLike {
  fd: number;
  _wrap?: { fds: number[] } | null;
  on(event: "data", listener: (chunk: Buffer) => void): void;
  on(event: "fds", listener: (fds: number[]) => void): void;
  on(event: "close" | "end" | "error", listener: () => void): void;
  destroy(): void;
}
interface UServerLike {
  listen(path: string, callback: () => void): void;
  on(event: "connection", listener: (socket: USocketLike) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  close(): void;
}

/** The usocket module, or why it is missing (not built, or installed without its addon). */
/** A client socket of the addon (tests and the fuzzer pass fds with it). */
export interface UClientLike {
  on(event: "connected" | "close", listener: () => void): void;
  on(event: "data", listener: (chunk: Buffer) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  write(chunk: { data: Buffer; fds: number[] }): void;
  destroy(): void;
}
export interface FdPassingModule {
  UServer: new () => UServerLike;
  USocket: new (options: { path: string }) => UClientLike;
}

export function loadFdPassing(): FdPassingModule | Error {
  try {
    const require = createRequire(import.meta.url);
    return require("usocket") as FdPassingModule;
  } catch (error) {
    return error as Error;
  }
}

function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}

function usocketConnection(socket: USocketLike): Connection {
  const closeListeners: Array<() => void> = [];
  let pendingFds: number[] = [];
  const closed = once(() => {
    for (const listener of closeListeners) listener();
  });
  socket.on("fds", (fds) => {
    pendingFds.push(...fds);
    // usocket also keeps every fd in a list for its read(size, fdCount) API, which we do not use.
    if (socket._wrap) socket._wrap.fds.length = 0;
  });
  socket.on("close", closed);
  socket.on("end", closed);
  socket.on("error", closed);
  return {
    fd: socket.fd,
    passesFds: true,
    onData(listener) {
      socket.on("data", (chunk) => {
        const fds = pendingFds;
        pendingFds = [];
        listener(chunk, fds);
      });
    },
    onClose(listener) {
      closeListeners.push(listener);
    },
    close() {
      for (const fd of pendingFds.splice(0)) closeQuietly(fd);
      socket.destroy();
      closed();
    },
  };
}

function netConnection(socket: Socket): Connection {
  const closeListeners: Array<() => void> = [];
  const closed = once(() => {
    for (const listener of closeListeners) listener();
  });
  socket.on("close", closed);
  socket.on("error", closed);
  const handle = (socket as unknown as { _handle?: { fd?: number } })._handle;
  return {
    fd: handle?.fd ?? -1,
    passesFds: false,
    onData(listener) {
      socket.on("data", (chunk) => listener(chunk, []));
    },
    onClose(listener) {
      closeListeners.push(listener);
    },
    close() {
      socket.destroy();
      closed();
    },
  };
}

export function listenUnix(path: string, fdPassing: "auto" | "off"): Promise<Listener> {
  const usocket = fdPassing === "auto" ? loadFdPassing() : new Error("fd passing turned off");
  return new Promise((resolve, reject) => {
    if (!(usocket instanceof Error)) {
      const server = new usocket.UServer();
      server.on("error", reject);
      server.listen(path, () =>
        resolve({
          passesFds: true,
          onConnection: (listener) =>
            server.on("connection", (socket) => listener(usocketConnection(socket))),
          close: () => server.close(),
        }),
      );
      return;
    }
    const server: Server = createServer();
    server.once("error", reject);
    server.listen(path, () =>
      resolve({
        passesFds: false,
        onConnection: (listener) => server.on("connection", (socket) => listener(netConnection(socket))),
        close: () => server.close(),
      }),
    );
  });
}

const EAGAIN_BACKOFF = new Int32Array(new SharedArrayBuffer(4));

function isAgain(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "EAGAIN" || code === "EWOULDBLOCK";
}

/** write(2) until everything is out; a non-blocking socket that is full is retried. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) {
    try {
      at += writeSync(fd, bytes, at, bytes.length - at);
    } catch (error) {
      if (!isAgain(error)) throw error;
      Atomics.wait(EAGAIN_BACKOFF, 0, 0, 0.05);
    }
  }
}

/**
 * One read(2) that waits for data; returns 0 at end of stream and -1 once `deadlineMs`
 * (performance.now() time; Infinity for none) has passed without data.
 */
export function readSome(fd: number, into: Buffer, deadlineMs = Number.POSITIVE_INFINITY): number {
  for (;;) {
    try {
      return readSync(fd, into, 0, into.length, null);
    } catch (error) {
      if (!isAgain(error)) throw error;
      if (performance.now() > deadlineMs) return -1;
      Atomics.wait(EAGAIN_BACKOFF, 0, 0, 0.05);
    }
  }
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed or never valid: nothing to release.
  }
}

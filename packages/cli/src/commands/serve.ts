/**
 * `bplab serve`: the TS controller on a state directory, served to stock QEMU's vfio-user-pci
 * over one unix socket, with a JSON control channel on a second one (docs/vfio-user.md). The
 * process is one power-on period of the state directory, like every `bp` command (MC-42).
 */
import { QUIRK_PROFILE_NAMES, type QuirkProfileName } from "@bplab/controller";
import { serveStateDir, type VfioUserNvmeServer } from "@bplab/vfio-user";
import type { CliIo } from "../io.js";

export const SERVE_PROFILES: readonly QuirkProfileName[] = QUIRK_PROFILE_NAMES;

export interface ServeOptions {
  /** The vfio-user socket QEMU connects to. */
  socket: string;
  state: string;
  /** Create the state directory with this BP size when it does not exist yet. */
  bpsz?: number;
  profile?: QuirkProfileName;
  /** Append every controller trace event to this file as JSON lines. */
  trace?: string;
  /** The control socket; default `<socket>.control`. */
  control?: string;
}

export interface ServeHandle {
  readonly server: VfioUserNvmeServer;
  readonly controlSocket: string;
  readonly socket: string;
  /** Stops serving and releases the state directory; safe to call twice. */
  close(): Promise<void>;
}

/** Opens the state directory and starts both sockets (@bplab/vfio-user's serveStateDir). */
export async function startServe(options: ServeOptions, log: (line: string) => void): Promise<ServeHandle> {
  const served = await serveStateDir({
    socketPath: options.socket,
    stateDir: options.state,
    ...(options.bpsz ? { createBpSizeBytes: options.bpsz } : {}),
    ...(options.profile ? { quirks: options.profile } : {}),
    ...(options.trace ? { traceFile: options.trace } : {}),
    ...(options.control ? { controlSocketPath: options.control } : {}),
    log,
  });
  return {
    server: served.server,
    controlSocket: served.controlSocket,
    socket: served.socket,
    close: served.close,
  };
}

/** Resolves on the first SIGINT/SIGTERM or when `stop` aborts; removes its handlers either way. */
export function untilStopped(stop?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const finish = (why: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      stop?.removeEventListener("abort", onAbort);
      resolve(why);
    };
    const onInt = () => finish("SIGINT");
    const onTerm = () => finish("SIGTERM");
    const onAbort = () => finish("stopped");
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
    if (stop?.aborted) finish("stopped");
    else stop?.addEventListener("abort", onAbort);
  });
}

/** `bplab serve`: serves until SIGINT/SIGTERM (or `stop`), then closes everything. */
export async function runServe(io: CliIo, options: ServeOptions, stop?: AbortSignal): Promise<void> {
  const handle = await startServe(options, (line) => io.err(`${line}\n`));
  io.out(
    `serving ${options.state} on ${handle.socket} (control: ${handle.controlSocket}, fd passing ${
      handle.server.passesFds ? "on" : "OFF: no interrupts"
    })\n`,
  );
  const why = await untilStopped(stop);
  await handle.close();
  io.out(`stopped (${why})\n`);
}

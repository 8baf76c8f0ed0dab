/**
 * `bplab serve`: the TS controller on a state directory, served to stock QEMU's vfio-user-pci
 * over one unix socket, with a JSON control channel on a second one (docs/vfio-user.md). The
 * process is one power-on period of the state directory, like every `bp` command (MC-42).
 */
import { QUIRK_PROFILE_NAMES, type QuirkProfileName } from "@bplab/controller";
import { openStateDir, type StateDir, writeTraceJsonLines } from "@bplab/controller/storage";
import {
  type ControlServer,
  FaultInjector,
  startControlServer,
  startVfioUserServer,
  type VfioUserNvmeServer,
} from "@bplab/vfio-user";
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

export function controlSocketFor(options: Pick<ServeOptions, "socket" | "control">): string {
  return options.control ?? `${options.socket}.control`;
}

/** Opens the state directory and starts both sockets; undoes what it did when a step fails. */
export async function startServe(options: ServeOptions, log: (line: string) => void): Promise<ServeHandle> {
  const state: StateDir = openStateDir(
    options.state,
    options.bpsz ? { create: { bpSizeBytes: options.bpsz } } : {},
  );
  const undo: Array<() => Promise<void> | void> = [() => state.close()];
  const closeAll = async () => {
    for (const step of undo.splice(0).reverse()) await step();
  };
  try {
    const faults = new FaultInjector();
    const server = await startVfioUserServer({
      socketPath: options.socket,
      store: {
        bootPartitions: faults.wrapBootPartitions(state.bootPartitions),
        namespace: faults.wrapNamespace(state.namespace),
      },
      quirks: options.profile ?? "spec",
      log,
    });
    undo.push(() => server.close());
    if (options.trace) undo.push(writeTraceJsonLines(server.controller.trace, options.trace));
    const controlSocket = controlSocketFor(options);
    const control: ControlServer = await startControlServer({
      socketPath: controlSocket,
      server,
      faults,
      describe: () => ({ state: state.path, socket: options.socket }),
    });
    undo.push(() => control.close());
    return { server, controlSocket, socket: options.socket, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
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

/**
 * The control channel: line-delimited JSON over a unix socket beside the vfio-user socket. Each
 * request line gets exactly one reply line (`{"id","ok":true,…}` or `{"id","ok":false,"error":
 * {code,message}}`); a `trace-subscribe`d connection also gets `{"event":{…}}` lines. Requests
 * run one at a time, in order, on the event loop that serves the device, so a power cycle never
 * lands in the middle of a command.
 */
import { unlinkSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { QUIRK_PROFILE_NAMES, QUIRK_PROFILES, type QuirkSwitches } from "@bplab/controller";
import type { VfioUserNvmeServer } from "../server/host.js";
import type { FaultInjector } from "./faults.js";
import {
  CONTROL_MAX_LINE_BYTES,
  ControlError,
  type ControlRequest,
  errorReplyLine,
  okReplyLine,
  parseControlRequest,
  type RequestId,
  requestIdOf,
} from "./requests.js";

export interface ControlServerOptions {
  socketPath: string;
  server: VfioUserNvmeServer;
  /** The injector whose wrapped stores the server uses; without it inject-fault is refused. */
  faults?: FaultInjector;
  /** Extra fields for `status` (e.g. the state directory the CLI opened). */
  describe?: () => Record<string, unknown>;
}

/** The profile whose switches equal `quirks`, or "custom". */
function profileOf(quirks: QuirkSwitches): string {
  for (const name of QUIRK_PROFILE_NAMES) {
    const profile = QUIRK_PROFILES[name] as unknown as Record<string, boolean>;
    if (Object.entries(quirks).every(([key, value]) => profile[key] === value)) return name;
  }
  return "custom";
}

export class ControlServer {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly listener: Server,
    private readonly options: ControlServerOptions,
  ) {}

  static async start(options: ControlServerOptions): Promise<ControlServer> {
    try {
      unlinkSync(options.socketPath);
    } catch {
      // No old socket.
    }
    const listener = createServer();
    const control = new ControlServer(listener, options);
    listener.on("connection", (socket) => control.serve(socket));
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(options.socketPath, () => {
        listener.off("error", reject);
        resolve();
      });
    });
    return control;
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    let buffered = "";
    let unsubscribe: (() => void) | undefined;
    const send = (line: string) => {
      if (!socket.destroyed) socket.write(line);
    };
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n")) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim() === "") continue;
        const handled = this.handle(
          line,
          send,
          () => unsubscribe,
          (next) => {
            unsubscribe = next;
          },
        );
        send(handled);
      }
      if (Buffer.byteLength(buffered) > CONTROL_MAX_LINE_BYTES) {
        send(
          errorReplyLine(
            null,
            new ControlError(
              "CONTROL_LINE_TOO_LONG",
              `a request line is at most ${CONTROL_MAX_LINE_BYTES} bytes`,
            ),
          ),
        );
        socket.end();
        buffered = "";
      }
    });
    const drop = () => {
      unsubscribe?.();
      unsubscribe = undefined;
      this.sockets.delete(socket);
    };
    socket.on("close", drop);
    socket.on("error", drop);
  }

  private handle(
    line: string,
    send: (line: string) => void,
    currentSubscription: () => (() => void) | undefined,
    setSubscription: (unsubscribe: (() => void) | undefined) => void,
  ): string {
    let request: ControlRequest;
    try {
      request = parseControlRequest(line);
    } catch (error) {
      let id: RequestId = null;
      try {
        id = requestIdOf(JSON.parse(line));
      } catch {
        // Not JSON: no id to echo.
      }
      return errorReplyLine(id, error as ControlError);
    }
    const { server } = this.options;
    switch (request.op) {
      case "status":
        return okReplyLine(request.id, { status: this.status() });
      case "power-cycle":
        server.powerCycle();
        return okReplyLine(request.id);
      case "quirk-profile":
        // The controller's switches object is shared by its components, so this takes effect at
        // the next command; the guest sees a device whose firmware changed under it.
        Object.assign(server.controller.quirks, QUIRK_PROFILES[request.profile]);
        return okReplyLine(request.id, { profile: request.profile });
      case "inject-fault":
        if (!this.options.faults)
          return errorReplyLine(
            request.id,
            new ControlError("CONTROL_FAILED", "this server's stores were not wrapped for fault injection"),
          );
        this.options.faults.arm(request.fault, request.count);
        return okReplyLine(request.id, { faults: this.options.faults.snapshot() });
      case "clear-faults":
        this.options.faults?.clear();
        return okReplyLine(request.id);
      case "trace-subscribe": {
        if (!currentSubscription()) {
          setSubscription(
            server.controller.trace.subscribe((event) => send(`${JSON.stringify({ event })}\n`)),
          );
        }
        return okReplyLine(request.id);
      }
      case "trace-unsubscribe":
        currentSubscription()?.();
        setSubscription(undefined);
        return okReplyLine(request.id);
    }
  }

  private status(): Record<string, unknown> {
    const { server } = this.options;
    const locks = server.controller.getBpLockStates();
    return {
      connected: server.connected,
      passesFds: server.passesFds,
      profile: profileOf(server.controller.quirks),
      quirks: { ...server.controller.quirks },
      lockStates: locks,
      stats: server.stats,
      faults: this.options.faults?.snapshot() ?? null,
      ...this.options.describe?.(),
    };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
    try {
      unlinkSync(this.options.socketPath);
    } catch {
      // Already gone.
    }
  }
}

export function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  return ControlServer.start(options);
}

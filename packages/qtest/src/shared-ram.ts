/**
 * The launcher's side of guest RAM through a shared file: choose whether to use it, the QEMU
 * arguments that back RAM with a file (`memory-backend-file,share=on`), and, once QEMU runs, the
 * RAM layout from QEMU itself and a probe that proves the file really is guest RAM before any
 * access trusts it. Without the file every guest-memory byte moves as b64 over the socket.
 */
import { accessSync, constants, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidArgumentError, QmpError } from "./errors.js";
import { parseQemuMemorySize } from "./libqos/alloc.js";
import type { QmpClient } from "./qmp/client.js";
import type { QtestClient } from "./qtest/client.js";
import { describeRanges, parseRamRanges, type RamRange, SharedGuestRam } from "./qtest/guest-ram.js";

/** `auto`: the file when it works, else b64; `on`: the file or fail; `off`: always b64. */
export type SharedRamMode = "auto" | "on" | "off";
/** Overrides `auto` for a whole run (`off` runs every test through the b64 path). */
export const SHARED_RAM_ENV = "BPLAB_SHARED_RAM";
/** Id of the memory backend, also the name of its memory region in `info mtree`. */
export const SHARED_RAM_BACKEND_ID = "bplab-ram";
export const SHARED_RAM_FILE = "guest-ram";
const SHM_DIR = "/dev/shm";
const PROBE = Buffer.from("bplab shared guest RAM probe");

export interface SharedRamPlan {
  readonly mode: "on" | "off";
  /** Why the file is not used (mode off), for `instance.guestRamStatus`. */
  readonly reason?: string;
  /** Where the launcher's temp dir goes: tmpfs when there is one, so RAM pages are not disk-backed. */
  readonly tempParent: string;
}

export function checkSharedRamMode(value: unknown): SharedRamMode {
  if (value === undefined) return "auto";
  if (value === "auto" || value === "on" || value === "off") return value;
  throw new InvalidArgumentError("sharedRam", 'must be "auto", "on" or "off"', value);
}

export function planSharedRam(requested: SharedRamMode, extraArgs: readonly string[]): SharedRamPlan {
  let mode = requested;
  if (mode === "auto") {
    const fromEnv = process.env[SHARED_RAM_ENV];
    if (fromEnv === "off" || fromEnv === "0")
      return { mode: "off", reason: `${SHARED_RAM_ENV}=${fromEnv}`, tempParent: tmpdir() };
  }
  if (mode === "off") return { mode: "off", reason: "sharedRam: off", tempParent: tmpdir() };
  // The caller brought its own RAM backend (the vfio-user work does): two would clash.
  if (extraArgs.some((arg) => arg.includes("memory-backend"))) {
    if (mode === "on") {
      throw new InvalidArgumentError(
        "sharedRam",
        "cannot be on when args already set a memory backend",
        "on",
      );
    }
    return { mode: "off", reason: "args set their own memory backend", tempParent: tmpdir() };
  }
  mode = "on";
  return { mode, tempParent: writableDir(SHM_DIR) ? SHM_DIR : tmpdir() };
}

function writableDir(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * QEMU's flat view of its address spaces (`info mtree -f`): where RAM, ROM and MMIO are. Empty
 * when QEMU will not say (no human monitor): then the layout is unknown and memory goes as b64.
 */
export async function readFlatView(qmp: QmpClient): Promise<string> {
  try {
    return String(await qmp.execute("human-monitor-command", { "command-line": "info mtree -f" }));
  } catch (error) {
    if (error instanceof QmpError) return "";
    throw error;
  }
}

/** QEMU arguments that back all of guest RAM (`-m` size) with `<tempDir>/guest-ram`, shared. */
export function sharedRamArgs(tempDir: string, memory: string): string[] {
  const bytes = parseQemuMemorySize(memory);
  // QEMU option values escape a comma by doubling it.
  const path = join(tempDir, SHARED_RAM_FILE).replaceAll(",", ",,");
  return [
    ...["-object", `memory-backend-file,id=${SHARED_RAM_BACKEND_ID},size=${bytes},mem-path=${path},share=on`],
    ...["-machine", `memory-backend=${SHARED_RAM_BACKEND_ID}`],
  ];
}

/**
 * Opens the RAM file, learns the layout from QEMU's flat view and proves it: a probe written over
 * the socket at both ends of every range must read back from the file. Returns undefined (with the
 * reason) when anything disagrees, so `auto` falls back to b64 instead of trusting a wrong offset.
 */
export async function openSharedRam(
  tempDir: string,
  qtest: QtestClient,
  flatView: string,
): Promise<{ ram: SharedGuestRam } | { reason: string }> {
  const ranges = parseRamRanges(flatView, SHARED_RAM_BACKEND_ID);
  if (ranges.length === 0) return { reason: `no RAM of ${SHARED_RAM_BACKEND_ID} in QEMU's flat view` };
  const ram = new SharedGuestRam(join(tempDir, SHARED_RAM_FILE), ranges);
  try {
    for (const range of ranges) {
      for (const addr of [range.guestStart, range.guestEnd - BigInt(PROBE.length)]) {
        const fileOffset = range.fileOffset + Number(addr - range.guestStart);
        await qtest.b64write(addr, PROBE);
        const seen = new Uint8Array(PROBE.length);
        ram.readInto(fileOffset, seen, 0, PROBE.length);
        await qtest.memset(addr, PROBE.length, 0);
        if (Buffer.compare(seen, PROBE) !== 0) {
          ram.close();
          return {
            reason: `file offset ${fileOffset} is not guest 0x${addr.toString(16)} (${describe(ranges)})`,
          };
        }
      }
    }
  } catch (error) {
    ram.close();
    throw error;
  }
  return { ram };
}

function describe(ranges: readonly RamRange[]): string {
  return `RAM ranges ${describeRanges(ranges)}`;
}

/**
 * Who owns a pid lock, and whether this process can tell that the owner is still running.
 *
 * A pid means something only inside one PID namespace of one boot of one kernel: a container has
 * its own PID namespace (its first process is pid 1 there), and a state directory on a volume
 * shared by two containers, a container and the host, or two machines (NFS) is read by processes
 * for which the owner's pid names nothing, or some unrelated process. So a lock records where its
 * pid lives: the PID namespace (`readlink /proc/self/ns/pid`), the kernel's boot id
 * (/proc/sys/kernel/random/boot_id; containers share the host's) and the host name (for people,
 * and to tell another machine from this one after a reboot).
 *
 * The rule (docs/model-choices.md, MC-72):
 * - same boot, same PID namespace (or a side that does not say, such as an old pid-only lock):
 *   kill(pid, 0) decides, as always;
 * - same boot, another PID namespace: unverifiable. kill() reaches a different process or none,
 *   and a sibling container's processes are invisible, so the lock is never taken over;
 * - another boot id with this host name: this machine before a reboot; no process of an earlier
 *   boot runs, so the lock is stale;
 * - another boot id with another host name: another machine sharing the volume: unverifiable.
 */
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";

/** Where a process lives. Each field is undefined where the system does not say (no /proc). */
export interface ProcessPlace {
  /** The PID namespace, as `readlink /proc/self/ns/pid` prints it: "pid:[4026531836]". */
  readonly pidNamespace?: string;
  /** The kernel's boot id: one value per boot of one machine, shared by its containers. */
  readonly bootId?: string;
  /** The host name (a container's own, unless it shares the host's UTS namespace). */
  readonly host?: string;
}

/** A lock's owner: its pid (0 when the lock holds none) and where that pid lives. */
export interface LockOwner extends ProcessPlace {
  readonly pid: number;
}

/**
 * What this process can tell about a lock's owner: "live" and "dead" come from kill(pid, 0) (or
 * from an earlier boot); the other two mean the pid cannot be checked from here.
 */
export type OwnerVerdict = "live" | "dead" | "other-pid-namespace" | "other-machine";

function readOptional(read: () => string): string | undefined {
  try {
    return clean(read()) || undefined;
  } catch {
    return undefined; // not Linux, or /proc not mounted: the field says nothing
  }
}

/** This process's place, read afresh (the host name can change while a process runs). */
export function currentProcessPlace(): ProcessPlace {
  const pidNamespace = readOptional(() => readlinkSync("/proc/self/ns/pid"));
  const bootId = readOptional(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8"));
  const host = readOptional(() => hostname());
  return {
    ...(pidNamespace ? { pidNamespace } : {}),
    ...(bootId ? { bootId } : {}),
    ...(host ? { host } : {}),
  };
}

/** Longest field value kept from a lock file: lock files on a shared volume are untrusted input. */
const MAX_FIELD_LENGTH = 256;

/** One line, no control characters, bounded: safe to write into a lock and print in a message. */
function clean(value: string): string {
  // bound first: a hostile lock file may hold one enormous line
  const printable = Array.from(value.slice(0, 4 * MAX_FIELD_LENGTH), (char) => {
    const code = char.charCodeAt(0);
    return code < 0x20 || code === 0x7f ? " " : char;
  });
  return printable.join("").trim().slice(0, MAX_FIELD_LENGTH);
}

const FIELD_KEYS = { pidNamespace: "pid-namespace", bootId: "boot-id", host: "host" } as const;

/**
 * The lock file's text: the pid alone on the first line (what older versions read, so they still
 * see the owner), then one `key=value` line per field this process knows.
 */
export function formatLockOwner(owner: LockOwner): string {
  const lines = [String(owner.pid)];
  for (const [field, key] of Object.entries(FIELD_KEYS)) {
    const value = owner[field as keyof typeof FIELD_KEYS];
    if (value !== undefined && clean(value)) lines.push(`${key}=${clean(value)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Parses a lock file's text; pid 0 when its first line holds no pid (debris). */
export function parseLockOwner(text: string): LockOwner {
  const [first = "", ...rest] = text.split("\n");
  const fields: Partial<Record<keyof ProcessPlace, string>> = {};
  for (const line of rest) {
    const equals = line.indexOf("=");
    if (equals <= 0) continue;
    const key = line.slice(0, equals);
    const field = Object.entries(FIELD_KEYS).find(([, known]) => known === key)?.[0];
    if (field !== undefined) fields[field as keyof ProcessPlace] = line.slice(equals + 1);
  }
  return untrustedLockOwner(first, fields);
}

/**
 * An owner from untrusted text held apart (a lock file's lines, a container's labels): the pid
 * must be a positive decimal number (else 0), and every field is cleaned and bounded as a lock
 * file's are, so each source of owners reads the same way.
 */
export function untrustedLockOwner(
  pidText: string,
  fields: Partial<Record<keyof ProcessPlace, string>>,
): LockOwner {
  const parsed = Number.parseInt(pidText, 10);
  const place: Record<string, string> = {};
  for (const field of Object.keys(FIELD_KEYS) as (keyof ProcessPlace)[]) {
    const value = clean(fields[field] ?? "");
    if (value) place[field] = value;
  }
  return { pid: Number.isSafeInteger(parsed) && parsed > 0 ? parsed : 0, ...place };
}

/** Whether two places differ in a field both of them state. */
function differ(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a !== b;
}

/** The rule of the module comment. `isAlive` is asked only when the pid is ours to check. */
export function judgeLockOwner(
  owner: LockOwner,
  here: ProcessPlace,
  isAlive: (pid: number) => boolean,
): OwnerVerdict {
  if (owner.pid <= 0) return "dead";
  if (differ(owner.bootId, here.bootId)) {
    // Only a host name that is the same on both sides says "this machine, before a reboot".
    return owner.host !== undefined && owner.host === here.host ? "dead" : "other-machine";
  }
  if (differ(owner.pidNamespace, here.pidNamespace)) return "other-pid-namespace";
  return isAlive(owner.pid) ? "live" : "dead";
}

/**
 * Whether `a` and `b` name the same process: same pid, PID namespace and boot where both state
 * them (not the host name: it may change while the process runs).
 */
export function sameLockOwner(a: LockOwner, b: LockOwner): boolean {
  return a.pid === b.pid && !differ(a.pidNamespace, b.pidNamespace) && !differ(a.bootId, b.bootId);
}

/** The owner for a message: "process 7 in PID namespace pid:[…] on host lab-3". */
export function describeLockOwner(owner: LockOwner): string {
  const parts = [`process ${owner.pid}`];
  if (owner.pidNamespace) parts.push(`in PID namespace ${owner.pidNamespace}`);
  if (owner.host) parts.push(`on host ${owner.host}`);
  if (owner.bootId) parts.push(`(boot id ${owner.bootId})`);
  return parts.join(" ");
}

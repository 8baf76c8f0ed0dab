/**
 * A pid lock held from another PID namespace, for tests of locks shared between containers:
 * `unshare --pid --fork --mount-proc` starts a holder process in a new PID namespace (as root, or
 * with CAP_SYS_ADMIN), optionally at a chosen pid inside it (through that namespace's
 * /proc/sys/kernel/ns_last_pid), so a test can make its pid one that is dead in the test's own
 * namespace, or equal to the test process's own pid.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { extname } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { LockOwner } from "../lock-owner.js";

const UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"];

/**
 * Why this machine cannot start a process in a new PID namespace, or undefined when it can.
 * The answer is the tool's own words (not root, no unshare, a seccomp profile that forbids it).
 */
export function newPidNamespaceUnavailableReason(): string | undefined {
  if (process.platform !== "linux") return `PID namespaces are Linux only (this is ${process.platform})`;
  // the same steps as a holder's start: a new namespace, and a chosen pid inside it
  const probe = spawnSync(
    UNSHARE[0] ?? "unshare",
    [...UNSHARE.slice(1), "sh", "-c", "echo 100 > /proc/sys/kernel/ns_last_pid"],
    { encoding: "utf8" },
  );
  if (probe.error) return `cannot run unshare: ${probe.error.message}`;
  if (probe.status !== 0)
    return `unshare --pid --fork --mount-proc with a write to ns_last_pid fails here: ${probe.stderr.trim()}`;
  return undefined;
}

/** The holder script next to this module: .ts when the tests run the sources (through tsx). */
function holderCommand(lockPath: string): string[] {
  const extension = extname(fileURLToPath(import.meta.url));
  const script = fileURLToPath(new URL(`./foreign-lock-holder${extension}`, import.meta.url));
  return [process.execPath, ...(extension === ".ts" ? ["--import", "tsx"] : []), script, lockPath];
}

// sh is pid 1 of the new namespace; it sets ns_last_pid (a builtin, so nothing forks in between)
// and starts the holder as its first child, which therefore gets the pid after it. Stdin goes to
// the holder through fd 3, since an asynchronous command's stdin is /dev/null.
const PLACE_AND_RUN = `exec 3<&0
if [ -n "$BPLAB_HOLDER_PID" ]; then
  echo $((BPLAB_HOLDER_PID - 1)) > /proc/sys/kernel/ns_last_pid || exit 97
fi
"$@" <&3 &
wait $!`;

/** A live process in another PID namespace that holds a pid lock. */
export class ForeignLockHolder {
  private constructor(
    private readonly child: ChildProcess,
    /** The lock's record as the holder wrote it (its pid is the one inside its namespace). */
    readonly owner: LockOwner,
  ) {}

  /** Starts the holder and resolves once it holds the lock at `lockPath`. */
  static start(lockPath: string, options: { pidInNamespace?: number } = {}): Promise<ForeignLockHolder> {
    const env = {
      ...process.env,
      BPLAB_HOLDER_PID: options.pidInNamespace ? String(options.pidInNamespace) : "",
    };
    const child = spawn(
      UNSHARE[0] ?? "unshare",
      [...UNSHARE.slice(1), "sh", "-c", PLACE_AND_RUN, "sh", ...holderCommand(lockPath)],
      { env, stdio: ["pipe", "pipe", "inherit"] },
    );
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: child.stdout ?? process.stdin });
      child.once("error", reject);
      child.once("exit", (code) =>
        reject(new Error(`the foreign lock holder exited (${code}) before holding`)),
      );
      lines.once("line", (line) => {
        const report = JSON.parse(line) as { holding?: LockOwner; failed?: string };
        if (report.holding) resolve(new ForeignLockHolder(child, report.holding));
        else reject(new Error(`the foreign lock holder could not take the lock: ${report.failed}`));
      });
    });
  }

  /** Lets the holder release the lock and waits until it has exited. */
  stop(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.stdin?.end();
    });
  }
}

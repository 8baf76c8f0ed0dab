import { spawnSync } from "node:child_process";

/** A pid that belonged to a process which has exited. */
export function deadPid(): number {
  const exited = spawnSync(process.execPath, ["-e", "process.exit(0)"]);
  if (exited.pid === undefined) throw new Error("could not start a short-lived process");
  return exited.pid;
}

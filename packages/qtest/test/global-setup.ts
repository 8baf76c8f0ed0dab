import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { RUN_ID_ENV, reapOrphans } from "../src/cleanup.js";

/** Tags this run's QEMU processes so the teardown can kill leftovers of this run only. */
export default function setup(): () => void {
  const runId = randomUUID();
  process.env[RUN_ID_ENV] = runId;
  reapOrphans();
  return () => {
    const killed = reapOrphans({ runId });
    if (killed > 0) console.warn(`[qtest] teardown killed ${killed} QEMU process(es) left by a failed test`);
    let left = "";
    try {
      left = execFileSync("pgrep", ["-a", "-f", "bplab-qemu-"], { encoding: "utf8" }).trim();
    } catch {
      // pgrep exits 1 when nothing matches: that is the good case.
    }
    if (left) console.warn(`[qtest] QEMU processes still running after the tests:\n${left}`);
  };
}

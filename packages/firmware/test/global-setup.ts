import { randomUUID } from "node:crypto";
import { RUN_ID_ENV, reapOrphans } from "@bplab/qtest";
import { firmwareQemuProcesses } from "./helpers/processes.js";

/** Tags this run's QEMUs so the teardown kills only this run's leftovers, then reports any. */
export default function setup(): () => void {
  process.env[RUN_ID_ENV] = randomUUID();
  return () => {
    const killed = reapOrphans({ runId: process.env[RUN_ID_ENV] as string });
    if (killed > 0)
      console.warn(`[firmware] teardown killed ${killed} QEMU process(es) left by a failed test`);
    const left = firmwareQemuProcesses();
    if (left.length > 0) console.warn(`[firmware] QEMU processes still running:\n${left.join("\n")}`);
  };
}

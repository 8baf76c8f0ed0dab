import { randomUUID } from "node:crypto";
import { RUN_ID_ENV, reapOrphans } from "@bplab/qtest";
import { guestQemuProcesses } from "./helpers/processes.js";

/** Tags this run's guest QEMUs so the teardown kills only this run's leftovers, then reports any. */
export default function setup(): () => void {
  const runId = randomUUID();
  process.env[RUN_ID_ENV] = runId;
  return () => {
    const killed = reapOrphans({ runId });
    if (killed > 0)
      console.warn(`[lab] teardown killed ${killed} guest QEMU process(es) left by a failed test`);
    const left = guestQemuProcesses();
    if (left.length > 0) console.warn(`[lab] guest QEMU processes still running:\n${left.join("\n")}`);
  };
}

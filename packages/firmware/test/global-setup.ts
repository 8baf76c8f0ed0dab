import { randomUUID } from "node:crypto";
import { RUN_ID_ENV, reapOrphans } from "@bplab/qtest";

/**
 * Tags this run's QEMUs (runFirmwareBoot registers each with @bplab/qtest's process registry) so
 * the teardown kills only what this run left behind, and says so: a leftover is a bug to report.
 */
export default function setup(): () => void {
  process.env[RUN_ID_ENV] = randomUUID();
  return () => {
    const killed = reapOrphans({ runId: process.env[RUN_ID_ENV] as string });
    if (killed > 0)
      console.warn(`[firmware] teardown killed ${killed} QEMU process(es) left by a failed test`);
  };
}

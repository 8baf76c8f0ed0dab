// Run @bplab/host's Boot Partition lock scenarios on the controller core in this process:
// deterministic, no QEMU, one fresh target per scenario.
// scratch-deps: @bplab/host
import assert from "node:assert/strict";
import { runScenarios } from "@bplab/host";
import { inProcessTargetFactory } from "@bplab/in-process-target";

const results = await runScenarios(inProcessTargetFactory(), {
  filter: /lock/,
  onResult: (result) => console.log(`${result.outcome.padEnd(7)} ${result.id}`),
});
assert.ok(results.length > 0, "the suite has lock scenarios");
const failed = results.filter((result) => result.outcome === "failed");
assert.deepEqual(
  failed.map((result) => `${result.id}: ${result.message}`),
  [],
);
console.log(`ok @bplab/in-process-target: ${results.length} lock scenarios, none failed on the core`);

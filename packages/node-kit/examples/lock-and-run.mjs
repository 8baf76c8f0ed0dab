// Hold a pid lock while running a command; a second taker that will not wait is refused with a
// typed error naming the holder; failed commands are CommandFailedError with the output's tail.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquirePidLock, CodedError, runChecked, runCommand, withPidLock } from "@bplab/node-kit";

const lockFile = join(mkdtempSync(join(tmpdir(), "node-kit-example-")), "build.lock");
const echoed = await withPidLock(
  lockFile,
  async () => {
    assert.throws(() => acquirePidLock(lockFile, { whenHeld: "fail" }), { code: "PID_LOCK_BUSY" });
    return (await runChecked(runCommand, "echo", ["hello"])).stdout.trim();
  },
  { whenHeld: "fail" },
);
assert.equal(echoed, "hello");
const failure = await runChecked(runCommand, "false", []).catch((error) => error);
assert.ok(failure instanceof CodedError && failure.code === "COMMAND_FAILED", String(failure));
console.log(`ok @bplab/node-kit: locked, ran echo (${echoed}), refused a second taker, typed failure`);

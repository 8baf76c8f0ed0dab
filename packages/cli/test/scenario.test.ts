import { selectScenarios, type Target, type TargetFactory, TargetUnsupportedError } from "@bplab/host";
import { inProcessTargetFactory } from "@bplab/in-process-target";
import { capCodec, RegisterOffset } from "@bplab/nvme-spec";
import {
  findPatchedQemu,
  QEMU_BUILD_COMMAND,
  qemuChildProcesses,
  UNPATCHED_QEMU_BUILD_COMMAND,
} from "@bplab/qtest";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runScenarioMatrix } from "../src/commands/scenario.js";
import { CliFailure } from "../src/errors.js";
import { memoryIo } from "../src/io.js";
import { bplab, jsonLines } from "./cli-support.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

/** The patched QEMU, or why the tests that need it skip (printed once). */
const patchedQemu = await findPatchedQemu().catch((error: Error) => {
  console.warn(`[cli] skipping the scenario matrix on a real QEMU: ${error.message}`);
  return undefined;
});

/**
 * A "qemu" that is the core with one register bit changed: CAP.DSTRD reads 1. discovery.registers
 * records DSTRD without asserting it, so the scenario passes on both and only the observation differs.
 */
function coreWithDoorbellStride(): TargetFactory {
  const core = inProcessTargetFactory();
  const stride = capCodec.encode({ dstrd: 1 });
  return async (request) => {
    const target = await core(request);
    const changed: Target = {
      name: "qemu",
      mmioRead32: (offset) => target.mmioRead32(offset),
      mmioRead64: async (offset) =>
        (await target.mmioRead64(offset)) | (offset === RegisterOffset.CAP ? stride : 0n),
      mmioWrite32: (offset, value) => target.mmioWrite32(offset, value),
      mmioWrite64: (offset, value) => target.mmioWrite64(offset, value),
      alloc: (size, align) => target.alloc(size, align),
      memRead: (address, length) => target.memRead(address, length),
      memWrite: (address, data) => target.memWrite(address, data),
      settle: () => target.settle(),
      powerCycle: () => target.powerCycle(),
      functionReset: () => target.functionReset(),
      close: () => target.close(),
    };
    return changed;
  };
}

/** A "qemu" that refuses every scenario, as a QEMU that cannot observe anything would. */
const refusesEverything: TargetFactory = async () => {
  throw new TargetUnsupportedError("cannot observe this here");
};

async function matrix(filter: string, qemu: TargetFactory, json = false, vfioUser?: TargetFactory) {
  const io = memoryIo();
  const outcome = await runScenarioMatrix(
    io,
    selectScenarios(filter),
    {
      core: inProcessTargetFactory(),
      qemu: { factory: qemu },
      ...(vfioUser ? { "vfio-user": { factory: vfioUser } } : {}),
    },
    json,
  ).then(
    () => undefined,
    (error: unknown) => error,
  );
  return { stdout: io.stdout(), error: outcome };
}

describe("bplab scenario", () => {
  it("runs the suite on the in-process core and prints a table", async () => {
    const run = await bplab("scenario", "--filter", "locks.");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^locks\.commit-bp1-wlupc\s+passed/m);
    expect(run.stdout).toMatch(/core: \d+ passed, 0 failed, 0 skipped/);
  });

  it("prints JSON lines with --json", async () => {
    const run = await bplab("scenario", "--filter", "abpid", "--json");
    expect(run.code).toBe(0);
    const results = jsonLines(run.stdout);
    expect(results.length).toBeGreaterThan(0);
    for (const result of results) expect(result).toMatchObject({ target: "core", outcome: "passed" });
  });

  it("says why a QEMU target is not available, with the build command, instead of failing obscurely", async () => {
    vi.stubEnv("BPLAB_QEMU", "/nonexistent/qemu-system-x86_64");
    const qemuOnly = await bplab("scenario", "--target", "qemu", "--filter", "discovery");
    expect(qemuOnly.code).toBe(1);
    expect(qemuOnly.stdout).toMatch(/qemu: not available yet: .*\/nonexistent\/qemu-system-x86_64/);
    expect(qemuOnly.stdout).toContain(QEMU_BUILD_COMMAND);
  });

  it("--target all without a usable QEMU: the qemu and vfio-user columns say unavailable and the reasons name the build commands", async () => {
    vi.stubEnv("BPLAB_QEMU", "/nonexistent/qemu-system-x86_64");
    vi.stubEnv("BPLAB_QEMU_UNPATCHED", "/nonexistent/stock-qemu-system-x86_64");
    const all = await bplab("scenario", "--target", "all", "--filter", "discovery.registers");
    // Nothing failed and nothing differed: the core passed and neither QEMU could be compared.
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^scenario\s+core\s+qemu\s+vfio-user\s+verdict$/m);
    expect(all.stdout).toMatch(/^discovery\.registers\s+passed\s+unavailable\s+unavailable\s+not-compared$/m);
    expect(all.stdout).toMatch(/core: 1 passed, 0 failed, 0 skipped/);
    expect(all.stdout).toMatch(/qemu: not run: no QEMU binary found .*/);
    expect(all.stdout).toMatch(/vfio-user: not run: .*\/nonexistent\/stock-qemu-system-x86_64/);
    expect(all.stdout).toContain(UNPATCHED_QEMU_BUILD_COMMAND);
    expect(all.stdout).toContain("(qemu, vfio-user unavailable)");
  });

  it("fails clearly when the filter matches nothing", async () => {
    const run = await bplab("scenario", "--filter", "no-such-scenario");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no scenario id contains "no-such-scenario"/);
  });
});

describe("the core x qemu matrix (runScenarioMatrix)", () => {
  it("prints the first differing observation with both values and fails", async () => {
    const { stdout, error } = await matrix("discovery.registers", coreWithDoorbellStride());
    expect(stdout).toMatch(
      /^discovery\.registers\s+passed\s+passed\s+MISMATCH {2}cap\.dstrd: core 0, qemu 1$/m,
    );
    expect(stdout).toContain("core vs qemu: 0 identical, 0 core-only (MC-34), 1 mismatched, 0 failed");
    expect(error).toBeInstanceOf(CliFailure);
    expect((error as CliFailure).message).toBe("1 of 1 scenario(s) failed or differ between core and qemu");
  });

  it("passes when both targets observe the same thing", async () => {
    const { stdout, error } = await matrix("abpid", inProcessTargetFactory());
    expect(error).toBeUndefined();
    expect(stdout).toMatch(/^abpid\.switch\s+passed\s+passed\s+identical$/m);
  });

  it("allows a QEMU skip only for RPMB scenarios (MC-34); any other skip is a mismatch", async () => {
    const { stdout, error } = await matrix("rpmb", refusesEverything);
    expect(error).toBeUndefined();
    expect(stdout).toMatch(
      /^locks\.commit-rpmb\s+passed\s+skipped\s+core-only {2}qemu skipped: cannot observe/m,
    );
    const other = await matrix("abpid.switch", refusesEverything);
    expect(other.stdout).toMatch(
      /^abpid\.switch\s+passed\s+skipped\s+MISMATCH {2}outcome: core passed, qemu skipped \(qemu: cannot observe this here\)$/m,
    );
    expect(other.error).toBeInstanceOf(CliFailure);
  });

  it("--json prints each result and a comparison line with the verdict and the difference", async () => {
    const { stdout } = await matrix("discovery.registers", coreWithDoorbellStride(), true);
    const lines = jsonLines(stdout);
    expect(lines.map((line) => line.target ?? line.kind)).toEqual(["core", "qemu", "comparison"]);
    expect(lines[2]).toEqual({
      kind: "comparison",
      id: "discovery.registers",
      core: "passed",
      qemu: "passed",
      verdict: "mismatch",
      difference: { field: "cap.dstrd", core: 0, qemu: 1 },
      detail: "cap.dstrd: core 0, qemu 1",
    });
  });
});

// Each scenario starts a QEMU: the harness limit is raised as in @bplab/qtest's own config, because
// the 5 s default is not a property of the code but of how loaded the shared machine is.
describe.skipIf(!patchedQemu)("bplab scenario --target all on the patched QEMU", () => {
  // The vfio-user column runs when the stock QEMU is built too, else it says unavailable.
  it("matches the core on the ABPID scenarios and keeps RPMB core-only", async () => {
    const run = await bplab("scenario", "--target", "all", "--filter", "abpid");
    expect(run.stdout).toMatch(/^abpid\.switch\s+passed\s+passed\s+(passed|unavailable)\s+identical$/m);
    expect(run.code).toBe(0);
    const rpmb = await bplab("scenario", "--target", "all", "--filter", "locks.commit-rpmb");
    expect(rpmb.stdout).toMatch(
      /^locks\.commit-rpmb\s+passed\s+skipped\s+(skipped|unavailable)\s+core-only {2}qemu skipped: .*MC-34/m,
    );
    expect(rpmb.code).toBe(0);
    // Every scenario closed its QEMU: pgrep finds no QEMU child of this worker (the launcher execs
    // QEMU through setpriv, so this process is its parent).
    expect(qemuChildProcesses()).toEqual([]);
  });
});

describe("the core x qemu x vfio-user matrix (runScenarioMatrix with three targets)", () => {
  it("prints one column per target and names the target that differs", async () => {
    const { stdout, error } = await matrix(
      "discovery.registers",
      inProcessTargetFactory(),
      false,
      coreWithDoorbellStride(),
    );
    expect(stdout).toMatch(/^scenario\s+core\s+qemu\s+vfio-user\s+verdict$/m);
    expect(stdout).toMatch(
      /^discovery\.registers\s+passed\s+passed\s+passed\s+MISMATCH {2}cap\.dstrd: core 0, vfio-user 1$/m,
    );
    expect(stdout).toContain(
      "core vs qemu vs vfio-user: 0 identical, 0 core-only (MC-34), 1 mismatched, 0 failed",
    );
    expect(stdout).toMatch(/^vfio-user: 1 passed, 0 failed, 0 skipped$/m);
    expect((error as CliFailure).message).toBe(
      "1 of 1 scenario(s) failed or differ between core and qemu or vfio-user",
    );
  });

  it("is identical only when all three agree, and RPMB stays core-only on both QEMU columns (MC-34)", async () => {
    const same = await matrix("abpid.switch", inProcessTargetFactory(), false, inProcessTargetFactory());
    expect(same.error).toBeUndefined();
    expect(same.stdout).toMatch(/^abpid\.switch\s+passed\s+passed\s+passed\s+identical$/m);
    const rpmb = await matrix("locks.commit-rpmb", refusesEverything, false, refusesEverything);
    expect(rpmb.error).toBeUndefined();
    expect(rpmb.stdout).toMatch(
      /^locks\.commit-rpmb\s+passed\s+skipped\s+skipped\s+core-only {2}qemu skipped: cannot observe this here; vfio-user skipped: cannot observe this here$/m,
    );
  });

  it("--json names every target's outcome and which target differs", async () => {
    const { stdout } = await matrix(
      "discovery.registers",
      inProcessTargetFactory(),
      true,
      coreWithDoorbellStride(),
    );
    const lines = jsonLines(stdout);
    expect(lines.map((line) => line.target ?? line.kind)).toEqual([
      "core",
      "qemu",
      "vfio-user",
      "comparison",
    ]);
    expect(lines[3]).toEqual({
      kind: "comparison",
      id: "discovery.registers",
      core: "passed",
      qemu: "passed",
      "vfio-user": "passed",
      verdict: "mismatch",
      difference: { field: "cap.dstrd", core: 0, "vfio-user": 1, target: "vfio-user" },
      detail: "cap.dstrd: core 0, vfio-user 1",
    });
  });
});

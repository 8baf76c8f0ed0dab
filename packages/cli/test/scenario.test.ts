import { afterEach, describe, expect, it, vi } from "vitest";
import { bplab } from "./cli-support.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

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
    const results = run.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(results.length).toBeGreaterThan(0);
    for (const result of results) expect(result).toMatchObject({ target: "core", outcome: "passed" });
  });

  it("says why a QEMU target is not available instead of failing obscurely", async () => {
    vi.stubEnv("BPLAB_QEMU", "/nonexistent/qemu-system-x86_64");
    const qemuOnly = await bplab("scenario", "--target", "qemu", "--filter", "discovery");
    expect(qemuOnly.code).toBe(1);
    expect(qemuOnly.stdout).toMatch(/qemu: not available yet: .*\/nonexistent\/qemu-system-x86_64/);
    const all = await bplab("scenario", "--target", "all", "--filter", "discovery.registers");
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/core: 1 passed/);
    expect(all.stdout).toMatch(/qemu: not available yet/);
  });

  it("fails clearly when the filter matches nothing", async () => {
    const run = await bplab("scenario", "--filter", "no-such-scenario");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no scenario id contains "no-such-scenario"/);
  });
});

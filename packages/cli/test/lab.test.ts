import { labDoctor } from "@bplab/container";
import { afterEach, describe, expect, it } from "vitest";
import { bplab } from "./cli-support.js";

describe("bplab lab", () => {
  const savedClient = process.env.DOCKER_CLI;
  afterEach(() => {
    if (savedClient === undefined) delete process.env.DOCKER_CLI;
    else process.env.DOCKER_CLI = savedClient;
  });

  it("doctor --json: reports every requirement, and a fix for each missing one", async () => {
    const run = await bplab("lab", "doctor", "--json");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    // the library's own list (its order and names are tested in packages/container)
    const names = (await labDoctor()).checks.map((c) => c.name);
    expect(report.checks.map((c: { name: string }) => c.name)).toEqual(names);
    expect(names).toContain("lab image");
    for (const check of report.checks) {
      if (!check.ok) expect(check.fix, check.name).toMatch(/\S/);
    }
    expect(report.missing).toEqual(
      report.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name),
    );
  });

  it("doctor: without a docker client says so and how to install one", async () => {
    process.env.DOCKER_CLI = "/nonexistent/docker";
    const run = await bplab("lab", "doctor");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/MISSING\s+docker client/);
    expect(run.stdout).toMatch(/fix: apt-get install -y --no-install-recommends docker\.io iptables/);
    expect(run.stdout).toMatch(/lab image\s+bplab\/lab:latest: unknown \(no Docker engine to ask\)/);
  });

  it("image: without an engine fails (exit 1) with the code and the fix, building nothing", async () => {
    process.env.DOCKER_CLI = "/nonexistent/docker";
    const run = await bplab("lab", "image", "--json");
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /lab image: \[CONTAINER_ENGINE_UNAVAILABLE\] no Docker engine: no docker client on PATH \(fix: apt-get install/,
    );
  });
});

import { describe, expect, it } from "vitest";
import { bplab, jsonLines } from "./cli-support.js";

describe("bplab demo", () => {
  it("runs the firmware flow and every check passes", async () => {
    const run = await bplab("demo");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const order = [
      "Unlock BP1",
      "Firmware Image Download in FWUG-sized pieces (32 × 4 KiB)",
      "Firmware Commit CA=110b BPID=1",
      "Lock BP1 until power cycle",
      "Get Log Page 15h",
      "BPRSEL/BPMBL",
      "Boot Partition Write Prohibited (SCT 1h / SC 1Eh)",
      "a Controller Level Reset keeps every lock (MC-40): BP0 010b Write Locked, BP1 011b Write Locked Until Power Cycle",
      "BP1: Write Locked Until Power Cycle → Write Locked (power-cycle)",
      "a power cycle leaves both BPs Write Locked (MC-41)",
      "14 of 14 checks passed",
    ];
    let from = 0;
    for (const text of order) {
      const at = run.stdout.indexOf(text, from);
      expect(at, `"${text}" after position ${from}`).toBeGreaterThanOrEqual(0);
      from = at;
    }
    expect(run.stdout).toMatch(/⋮ 28 more Firmware Image Download pieces: 28 × Successful Completion/);
    expect(run.stdout).not.toMatch(/✗/);
  });

  it("prints the controller trace as JSON lines with --json", async () => {
    const run = await bplab("demo", "--json", "--bpsz", "256K");
    expect(run.code).toBe(0);
    const events: Record<string, unknown>[] = jsonLines(run.stdout);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const kinds = new Set(events.map((e) => e.kind));
    for (const kind of [
      "register",
      "command",
      "completion",
      "lock.transition",
      "fw.commit",
      "bp.read.start",
      "bp.read.done",
      "reset",
      "power-cycle",
    ]) {
      expect(kinds, kind).toContain(kind);
    }
    const rejected = events.findIndex((e) => e.kind === "completion" && e.status === "1h/1Eh");
    const lockedUntilPowerCycle = events.findIndex((e) => e.kind === "lock.transition" && e.to === 0b011);
    const powerCycle = events.findIndex((e) => e.kind === "power-cycle");
    expect(lockedUntilPowerCycle).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(lockedUntilPowerCycle);
    expect(powerCycle).toBeGreaterThan(rejected);
  });
});

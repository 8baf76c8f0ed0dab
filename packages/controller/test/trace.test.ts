import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommitAction, RegisterOffset } from "@bplab/nvme-spec";
import { afterEach, describe, expect, it } from "vitest";
import { writeTraceJsonLines } from "../src/storage/trace-file.js";
import { ManualClock } from "../src/time.js";
import type { TraceEvent } from "../src/trace.js";
import { TraceBus } from "../src/trace.js";
import { commit, download, setWriteProtection } from "./flows.js";
import { createRig, PAGE, pattern, type Rig } from "./harness.js";

/** Structured trace events and the sequences tests assert on ("locked before boot"). */

const WRITE_LOCKED_UNTIL_POWER_CYCLE = 3;

/** The downstream firmware flow: unlock BP1, FWUG-sized downloads with CDW12=1, CA=110b, WLUPC. */
function firmwareUpdate(rig: Rig): void {
  setWriteProtection(rig, 0x08);
  download(rig, pattern(4 * PAGE, 9), PAGE, { cdw12: 1 });
  commit(rig, CommitAction.ReplaceBootPartition, 1);
  setWriteProtection(rig, 0x1b);
}

/** Index of the first event matching `predicate`, or -1. */
function indexOf(events: readonly TraceEvent[], predicate: (event: TraceEvent) => boolean): number {
  return events.findIndex(predicate);
}

describe("trace sequences", () => {
  it("records unlock → downloads → commit → lock, and both BPs are locked before the OS boots (reset)", () => {
    const rig = createRig();
    rig.host.enable();
    firmwareUpdate(rig);
    rig.controller.mmioWrite32(RegisterOffset.CC, 0); // the OS driver takes over: CC.EN 1→0
    const events = rig.events;
    const unlock = indexOf(events, (e) => e.kind === "lock.transition" && e.bpid === 1 && e.to === 1);
    const firstDownload = indexOf(events, (e) => e.kind === "fw.download");
    const committed = indexOf(events, (e) => e.kind === "fw.commit" && e.ok === true && e.bpid === 1);
    const locked = events.filter(
      (e) => e.kind === "lock.transition" && e.to === WRITE_LOCKED_UNTIL_POWER_CYCLE,
    );
    const boot = indexOf(events, (e) => e.kind === "reset" && e.cause === "cc.en");
    expect(unlock).toBeGreaterThan(-1);
    expect(firstDownload).toBeGreaterThan(unlock);
    expect(committed).toBeGreaterThan(firstDownload);
    expect(locked.map((e) => e.bpid)).toEqual([0, 1]);
    expect(locked.every((e) => e.seq > events[committed]!.seq && e.seq < events[boot]!.seq)).toBe(true);
    expect(events[boot]).toMatchObject({
      locks: { bp0: "Write Locked Until Power Cycle", bp1: "Write Locked Until Power Cycle" },
    });
  });

  it("describes commands and completions in the spec's words", () => {
    const rig = createRig();
    rig.host.enable();
    download(rig, pattern(PAGE, 1), PAGE);
    commit(rig, CommitAction.ReplaceBootPartition, 1);
    const command = rig.events.findLast((e) => e.kind === "command");
    const completion = rig.events.findLast((e) => e.kind === "completion");
    expect(command?.text).toMatch(/^Firmware Commit CA=110b \(replace BP\) BPID=1/);
    expect(completion).toMatchObject({ status: "1h/1Eh", statusName: "Boot Partition Write Prohibited" });
    expect(completion?.text).toBe("Boot Partition Write Prohibited (SCT 1h / SC 1Eh)");
  });

  it("a power cycle is traced, with both BPs moving to Write Locked", () => {
    const rig = createRig();
    rig.host.enable();
    setWriteProtection(rig, 0x19);
    rig.events.length = 0;
    rig.controller.powerCycle();
    expect(rig.events.map((e) => [e.kind, e.bpid, e.to, e.cause])).toEqual([
      ["power-cycle", undefined, undefined, "power-cycle"],
      ["lock.transition", 0, 2, "power-cycle"],
      ["lock.transition", 1, 2, "power-cycle"],
    ]);
  });

  it("numbers events in order and stamps them with the injected clock", () => {
    const rig = createRig();
    rig.clock.advance(1234);
    rig.host.enable();
    expect(rig.events.map((e) => e.seq)).toEqual(rig.events.map((_, index) => index + 1));
    expect(rig.events.every((e) => e.timeMs === 1234)).toBe(true);
  });
});

describe("TraceBus", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("writes JSON lines until closed, turning bigints into hex", () => {
    const dir = mkdtempSync(join(tmpdir(), "bplab-trace-"));
    dirs.push(dir);
    const path = join(dir, "trace.jsonl");
    const bus = new TraceBus(new ManualClock(5));
    const close = writeTraceJsonLines(bus, path);
    bus.emit("bp.read.start", { buffer: 0x1000n });
    bus.emit("register", () => ({ name: "CC" }));
    close();
    bus.emit("after-close");
    const lines = readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { seq: 1, timeMs: 5, kind: "bp.read.start", buffer: "0x1000" },
      { seq: 2, timeMs: 5, kind: "register", name: "CC" },
    ]);
  });

  it("does not build events nobody listens to, and survives a throwing listener or factory", () => {
    const bus = new TraceBus();
    let built = 0;
    bus.emit("command", () => {
      built += 1;
      return {};
    });
    expect(built).toBe(0);
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new Error("listener bug");
    });
    bus.subscribe((event) => seen.push(event.kind));
    bus.emit("one");
    bus.emit("two", () => {
      throw new Error("describe bug");
    });
    expect(seen).toEqual(["one", "two"]);
  });

  it("record() collects events until stopped", () => {
    const bus = new TraceBus();
    const recording = bus.record();
    bus.emit("a");
    recording.stop();
    bus.emit("b");
    expect(recording.events.map((e) => e.kind)).toEqual(["a"]);
  });
});

import { describe, expect, it } from "vitest";
import {
  createProgressPrinter,
  formatElapsed,
  formatProgressLine,
  type ProgressEvent,
  parseNinjaProgress,
  StepReporter,
} from "../src/progress.js";
import { fakeClock } from "./helpers.js";

describe("parseNinjaProgress", () => {
  it("reads ninja's [n/m] prefix", () => {
    expect(parseNinjaProgress("[12/1530] Compiling C object hw_nvme_ctrl.c.o")).toEqual({
      current: 12,
      total: 1530,
      what: "Compiling C object hw_nvme_ctrl.c.o",
    });
  });

  it("ignores other lines", () => {
    expect(parseNinjaProgress("ninja: build stopped: subcommand failed.")).toBeUndefined();
  });
});

describe("formatting", () => {
  it("formats elapsed time in seconds and minutes", () => {
    expect(formatElapsed(999)).toBe("0s");
    expect(formatElapsed(59_000)).toBe("59s");
    expect(formatElapsed(125_000)).toBe("2m05s");
  });

  it("shows the counter and percentage when the step has them", () => {
    const line = formatProgressLine({
      phase: "compile",
      message: "x.o",
      current: 153,
      total: 1530,
      elapsedMs: 70_000,
    });
    expect(line).toBe("[compile 153/1530  10%] 1m10s  x.o");
    expect(formatProgressLine({ phase: "fetch", message: "ok", elapsedMs: 0 })).toBe("[fetch] 0s  ok");
  });
});

describe("StepReporter", () => {
  it("reports the time since the step started, from the injected clock", () => {
    const clock = fakeClock(1000);
    const events: ProgressEvent[] = [];
    const reporter = new StepReporter("compile", (event) => events.push(event), clock);
    clock.advance(2500);
    reporter.report("half", 1, 2);
    expect(events).toEqual([{ phase: "compile", message: "half", current: 1, total: 2, elapsedMs: 2500 }]);
  });
});

describe("createProgressPrinter", () => {
  const compile = (current: number, elapsedMs = 0): ProgressEvent => ({
    phase: "compile",
    message: `step ${current}`,
    current,
    total: 100,
    elapsedMs,
  });

  it("prints a log line every 10 percent and on the last step", () => {
    const lines: string[] = [];
    const print = createProgressPrinter({ write: (text) => lines.push(text), interactive: false });
    for (let step = 1; step <= 100; step++) print(compile(step));
    expect(lines).toHaveLength(11);
    expect(lines[0]).toContain("[compile 1/100   1%]");
    expect(lines.at(-1)).toContain("100/100 100%");
  });

  it("prints within a 10 percent stretch once half a minute has passed", () => {
    const lines: string[] = [];
    const print = createProgressPrinter({ write: (text) => lines.push(text), interactive: false });
    print(compile(1, 0));
    print(compile(2, 10_000));
    print(compile(3, 45_000));
    expect(lines.map((line) => line.slice(0, 16))).toEqual(["[compile 1/100  ", "[compile 3/100  "]);
  });

  it("prints every event without a counter", () => {
    const lines: string[] = [];
    const print = createProgressPrinter({ write: (text) => lines.push(text), interactive: false });
    print({ phase: "fetch", message: "a", elapsedMs: 0 });
    print({ phase: "fetch", message: "b", elapsedMs: 0 });
    expect(lines).toEqual(["[fetch] 0s  a\n", "[fetch] 0s  b\n"]);
  });

  it("on a terminal rewrites one line per step and starts a new line for the next step", () => {
    const out: string[] = [];
    const print = createProgressPrinter({ write: (text) => out.push(text), interactive: true, columns: 40 });
    print(compile(1));
    print(compile(2));
    print({ phase: "qtest", message: "ok", elapsedMs: 0 });
    expect(out[0]?.startsWith("\r[compile 1/100")).toBe(true);
    expect(out[1]?.startsWith("\r[compile 2/100")).toBe(true);
    expect(out[2]).toBe("\n");
    expect(out.every((text) => text.length <= 40)).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { ScenarioAssertionError } from "../src/scenarios/errors.js";
import {
  compareObservations,
  compareRuns,
  runScenario,
  runScenarios,
  selectScenarios,
} from "../src/scenarios/runner.js";
import { ALL_SCENARIOS } from "../src/scenarios/suite.js";
import type { Scenario, ScenarioResult } from "../src/scenarios/types.js";
import { type Target, type TargetFactory, TargetUnsupportedError } from "../src/target.js";
import { FakeTarget } from "./support/fake-target.js";

describe("compareObservations", () => {
  it("returns undefined for records with the same fields and values", () => {
    expect(
      compareObservations({ a: "1h/1Eh", b: 3, c: null }, { a: "1h/1Eh", b: 3, c: null }),
    ).toBeUndefined();
  });

  it("names the first differing field in the first record's order", () => {
    const a = { status: "0h/00h", hash: "aa", lock: "Write Locked" };
    const b = { status: "0h/00h", hash: "bb", lock: "Write Unlocked" };
    expect(compareObservations(a, b)).toEqual({ field: "hash", a: "aa", b: "bb" });
  });

  it("reports a field missing on either side", () => {
    expect(compareObservations({ x: 1, y: 2 }, { x: 1 })).toEqual({ field: "y", a: 2, b: undefined });
    expect(compareObservations({ x: 1 }, { x: 1, z: true })).toEqual({ field: "z", a: undefined, b: true });
  });

  it('tells values of different types apart (1 is not "1", null is not missing)', () => {
    expect(compareObservations({ v: 1 }, { v: "1" })).toEqual({ field: "v", a: 1, b: "1" });
    expect(compareObservations({ v: null }, {})).toEqual({ field: "v", a: null, b: undefined });
  });
});

describe("compareRuns", () => {
  const result = (id: string, outcome: ScenarioResult["outcome"], observations = {}): ScenarioResult => ({
    id,
    title: id,
    target: "t",
    outcome,
    observations,
  });

  it("lists, per scenario, a different outcome, a missing scenario or the first differing observation", () => {
    const core = [
      result("a", "passed", { s: "0h/00h" }),
      result("b", "passed"),
      result("c", "passed", { s: "1h/1Eh" }),
    ];
    const qemu = [
      result("a", "passed", { s: "0h/00h" }),
      result("b", "failed"),
      result("c", "passed", { s: "0h/00h" }),
    ];
    expect(compareRuns(core, qemu)).toEqual([
      { id: "b", difference: { field: "outcome", a: "passed", b: "failed" } },
      { id: "c", difference: { field: "s", a: "1h/1Eh", b: "0h/00h" } },
    ]);
    expect(compareRuns([result("d", "passed")], [])).toEqual([
      { id: "d", difference: { field: "outcome", a: "passed", b: undefined } },
    ]);
  });
});

describe("runScenario", () => {
  const fakeFactory: TargetFactory = async () => new FakeTarget();

  it("reports a failed expectation with the field, expected and actual values, and keeps what was observed", async () => {
    const scenario: Scenario = {
      id: "test.failing",
      title: "fails on purpose",
      async run(ctx) {
        ctx.record("first", 1);
        ctx.expect("second", "1h/1Eh", "0h/00h");
        return ctx.observations;
      },
    };
    const result = await runScenario(scenario, fakeFactory);
    expect(result.outcome).toBe("failed");
    expect(result.message).toBe('second: expected "0h/00h", got "1h/1Eh"');
    expect(result.observations).toEqual({ first: 1, second: "1h/1Eh" });
  });

  it("skips with the factory's reason when the target cannot honour the request", async () => {
    const scenario: Scenario = {
      id: "test.rpmb",
      title: "needs rpmb",
      request: { rpmb: { locked: [true, true] } },
      run: async (ctx) => ctx.observations,
    };
    const refusing: TargetFactory = async (request) => {
      if (request.rpmb) throw new TargetUnsupportedError("this target has no RPMB mode");
      return new FakeTarget();
    };
    const result = await runScenario(scenario, refusing);
    expect(result).toMatchObject({ outcome: "skipped", message: "this target has no RPMB mode" });
  });

  it("skips when the scenario finds its subject unobservable, and fails when the factory breaks", async () => {
    const unobservable: Scenario = {
      id: "test.skip",
      title: "skip",
      run: async (ctx) => ctx.skip("race window too short"),
    };
    expect(await runScenario(unobservable, fakeFactory)).toMatchObject({
      outcome: "skipped",
      message: "race window too short",
    });
    const broken: TargetFactory = async () => {
      throw new Error("QEMU did not start");
    };
    expect(await runScenario(unobservable, broken)).toMatchObject({
      outcome: "failed",
      message: "the target factory failed: QEMU did not start",
    });
  });

  it("refuses to record one observation twice and closes the target in every case", async () => {
    let closed = 0;
    const counting: TargetFactory = async () => {
      const target: Target = new FakeTarget();
      target.close = async () => {
        closed++;
      };
      return target;
    };
    const twice: Scenario = {
      id: "test.twice",
      title: "twice",
      async run(ctx) {
        ctx.record("x", 1);
        ctx.record("x", 2);
        return ctx.observations;
      },
    };
    const result = await runScenario(twice, counting);
    expect(result.message).toMatch(/recorded twice/);
    expect(closed).toBe(1);
  });

  it("names the field in ScenarioAssertionError", () => {
    const error = new ScenarioAssertionError("bp1.sha256", "aa", "bb", "after the commit");
    expect(error).toMatchObject({
      code: "SCENARIO_ASSERTION",
      field: "bp1.sha256",
      expected: "aa",
      actual: "bb",
    });
    expect(error.message).toBe('bp1.sha256: expected "aa", got "bb" (after the commit)');
  });
});

describe("scenario selection", () => {
  it("has unique ids of the form <group>.<name>", () => {
    const ids = ALL_SCENARIOS.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9-]+\.[a-z0-9-]+$/);
  });

  it("filters by substring, RegExp or predicate", () => {
    expect(selectScenarios("fid85.set-from").map((s) => s.id)).toEqual([
      "fid85.set-from-write-locked",
      "fid85.set-from-write-unlocked",
      "fid85.set-from-wlupc",
      "fid85.set-from-rpmb",
    ]);
    expect(selectScenarios(/^abpid\./).map((s) => s.id)).toEqual(["abpid.switch"]);
    expect(selectScenarios((s) => s.request?.rpmb !== undefined).length).toBeGreaterThanOrEqual(3);
  });

  it("runScenarios runs the selection in order and reports each result as it finishes", async () => {
    const seen: string[] = [];
    const scenarios: Scenario[] = ["a", "b"].map((id) => ({
      id: `t.${id}`,
      title: id,
      run: async (ctx) => ctx.observations,
    }));
    const results = await runScenarios(async () => new FakeTarget(), {
      scenarios,
      onResult: (r) => seen.push(r.id),
    });
    expect(results.map((r) => r.outcome)).toEqual(["passed", "passed"]);
    expect(seen).toEqual(["t.a", "t.b"]);
  });
});

import { ALL_SCENARIOS, runScenario } from "@bplab/host";
import { describe, expect, it } from "vitest";
import { inProcessTargetFactory } from "../src/in-process-target.js";

const factory = inProcessTargetFactory();

describe("the scenario suite on the in-process core", () => {
  for (const scenario of ALL_SCENARIOS) {
    it(`${scenario.id}: ${scenario.title}`, async (ctx) => {
      const result = await runScenario(scenario, factory);
      if (result.outcome === "skipped") {
        console.log(`skipped ${scenario.id}: ${result.message}`);
        ctx.skip(result.message);
      }
      if (result.outcome === "failed") {
        throw new Error(
          `${result.message}\n  last transcript lines:\n    ${(result.transcriptTail ?? []).join("\n    ")}`,
        );
      }
      expect(result.outcome).toBe("passed");
      expect(Object.keys(result.observations).length).toBeGreaterThan(0);
    });
  }
});

// The fuzzer against a server in its own process: malformed messages of every kind, and the
// server must answer each framed request exactly once (a reply or an errno), hang up on frames it
// cannot trust, serve the next client, and stay alive. The 1 M-message run is scripts/fuzz.ts.
import { afterEach, expect, it } from "vitest";
import { fuzzServer } from "../src/testing/index.js";
import { type ChildHarness, rssKiB, startChildServer } from "./helpers/raw-client.js";

/** Moderate for the default run; `pnpm fuzz` sends a million. */
const MESSAGES = 20_000;
let h: ChildHarness;
afterEach(async () => {
  await h.close();
});

it(`answers or cleanly drops ${MESSAGES} malformed messages without crashing`, async () => {
  h = await startChildServer({ bpSizeBytes: 128 * 1024 });
  const report = await fuzzServer({ socketPath: h.path, messages: MESSAGES, seed: 0x5eed });
  expect(report.violations).toEqual([]);
  expect(report.messages).toBe(MESSAGES);
  expect(report.errorReplies).toBeGreaterThan(MESSAGES / 4);
  expect(report.disconnects).toBeGreaterThan(0);
  expect(h.child.exitCode).toBe(null);
  expect(rssKiB(h.child.pid as number)).toBeGreaterThan(0);
});

// The fuzzer against a server in its own process: malformed messages of every kind, and the
// server must answer each framed request exactly once (a reply or an errno), hang up on frames it
// cannot trust, serve the next client, and stay alive. The 1 M-message run is scripts/fuzz.ts.
import { closeSync, openSync } from "node:fs";
import { afterEach, expect, it } from "vitest";
import { loadFdPassing } from "../src/index.js";
import { fuzzFdFlood, fuzzServer } from "../src/testing/index.js";
import { type ChildHarness, openFdCount, rssKiB, startChildServer } from "./helpers/raw-client.js";

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

it.skipIf(loadFdPassing() instanceof Error)(
  "closes every fd of a 2 000-message fd flood it does not keep",
  async () => {
    h = await startChildServer({ bpSizeBytes: 128 * 1024 });
    const pid = h.child.pid as number;
    const fdsBefore = openFdCount(pid);
    const fd = openSync("/dev/null", "r");
    const report = await fuzzFdFlood({ socketPath: h.path, messages: 2000, fd });
    closeSync(fd);
    expect(report.violations).toEqual([]);
    expect(report.fdsSent).toBeGreaterThan(2000);
    expect(h.child.exitCode).toBe(null);
    // The flood's client is gone and its maps and vectors were released: the fd table is as before.
    for (let tries = 0; openFdCount(pid) !== fdsBefore && tries < 100; tries++)
      await new Promise((r) => setTimeout(r, 20));
    expect(openFdCount(pid)).toBe(fdsBefore);
  },
);

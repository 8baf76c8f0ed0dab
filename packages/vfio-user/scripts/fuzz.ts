/**
 * The long fuzz run: `pnpm --filter @bplab/vfio-user fuzz [messages] [seed]` (default 1 000 000).
 * Starts a server in its own process, fuzzes it, and prints the figures the README records:
 * messages, replies, errno replies, disconnects, violations, and the server's RSS at the start,
 * the peak seen and the end; then an fd flood (a tenth as many messages, 1-64 fds each) and the
 * server's open fds before and after it. Exits 1 on any violation or if the server died.
 */
import { closeSync, openSync } from "node:fs";
import { loadFdPassing } from "../src/index.js";
import { fuzzFdFlood, fuzzServer } from "../src/testing/index.js";
import { openFdCount, rssKiB, startChildServer } from "../test/helpers/raw-client.js";

const messages = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? 0x5eed);
const harness = await startChildServer({ bpSizeBytes: 128 * 1024 });
const pid = harness.child.pid as number;
const started = Date.now();
// Warm up first, so the start figure is the server's steady size, not its cold one.
await fuzzServer({ socketPath: harness.path, messages: 10_000, seed: seed ^ 0xffff });
const rssStart = rssKiB(pid);
let rssPeak = rssStart;
const report = await fuzzServer({
  socketPath: harness.path,
  messages,
  seed,
  onProgress: (sent) => {
    if (sent % 100_000 < 64) {
      const rss = rssKiB(pid);
      rssPeak = Math.max(rssPeak, rss);
      process.stderr.write(`fuzz: ${sent} messages, server RSS ${rss} KiB\n`);
    }
  },
});
// fd floods (needs the usocket addon): a tenth as many messages, each with 1-64 fds.
let fdFlood: Record<string, unknown> = { skipped: "the usocket addon is not built" };
if (!(loadFdPassing() instanceof Error)) {
  const fdsBefore = openFdCount(pid);
  const devNull = openSync("/dev/null", "r");
  const flood = await fuzzFdFlood({
    socketPath: harness.path,
    messages: Math.ceil(messages / 10),
    seed,
    fd: devNull,
  });
  closeSync(devNull);
  await new Promise((resolve) => setTimeout(resolve, 500));
  fdFlood = {
    ...flood,
    violations: flood.violations.slice(0, 20),
    serverFdsBefore: fdsBefore,
    serverFdsAfter: openFdCount(pid),
  };
  report.violations.push(...flood.violations);
  if (openFdCount(pid) !== fdsBefore)
    report.violations.push(`the server holds ${openFdCount(pid) - fdsBefore} more fds`);
}
const rssEnd = rssKiB(pid);
const alive = harness.child.exitCode === null;
await harness.close();
const seconds = (Date.now() - started) / 1000;
console.log(
  JSON.stringify(
    {
      ...report,
      fdFlood,
      violations: report.violations.slice(0, 20),
      violationCount: report.violations.length,
      serverAlive: alive,
      rssStartKiB: rssStart,
      rssPeakKiB: rssPeak,
      rssEndKiB: rssEnd,
      seconds,
      seed,
    },
    null,
    2,
  ),
);
process.exit(report.violations.length === 0 && alive ? 0 : 1);

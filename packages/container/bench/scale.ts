/**
 * How many labs run side by side on this machine before the first time-out, with zero
 * cross-talk. A benchmark, not a test: it writes bench/results/scale-<mode>.json and prints a
 * table; nothing here asserts on time.
 *
 *   node --import tsx bench/scale.ts                          # lab containers (needs the engine + image)
 *   node --import tsx bench/scale.ts --mode host              # host-process labs, separate state dirs
 *   node --import tsx bench/scale.ts --steps 1,2,4,6,8 --timeout-s 120 --out results.json
 *
 * One lab = one Linux guest boot on the patched QEMU (TCG) running what an OS tries against a
 * Boot Partition (@bplab/firmware's osAttemptScript: get the lock, unlock BP1, download and
 * commit its own image, nvme reset, download + commit, a PCI FLR, download + commit, read BP1
 * back through Get Log Page 15h), on its own `bootpart` image in its own temp dir (host mode) or
 * its own container with its own /tmp and state dir (container mode). Each lab writes a
 * different BP1 image.
 *
 * The time-out: the guest runner's own (runGuest timeoutMs, which kills QEMU and reports
 * LAB_GUEST_TIMEOUT) set to --timeout-s, 120 s by default, per boot. @bplab/lab expects a boot to
 * take 10-20 s under TCG on an idle core; 120 s is six times that, the margin a CI job gives one
 * lab before calling it hung (the lab's own default, 10 min, is a safety net for one interactive
 * run, not a throughput budget). A step of N labs "times out" when any of its labs hits it. Cross-talk: a lab whose Get Log Page 15h read-back or bootpart file is not its
 * own image, or whose nvme-cli outcomes differ from the solo run. The ramp stops at the first
 * step with a time-out or cross-talk; the figure is the largest N before it.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { OsStep, osAttemptScript } from "@bplab/firmware";
import { probeEngine } from "../src/engine.js";
import { labContainerImage, withLabContainer } from "../src/lab-container.js";
import {
  type GuestFlowJob,
  type GuestFlowResult,
  runGuestFlowInContainer,
  runGuestFlowOnHost,
} from "../src/lab-container-guest.js";

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
const RESULTS_DIR = join(PACKAGE_DIR, "bench", "results");
const BPSZ = 1;
const BP_BYTES = BPSZ * 128 * 1024;
const OS_IMAGE_BYTES = 64 * 1024;

const { values: flags } = parseArgs({
  options: {
    mode: { type: "string" },
    steps: { type: "string", default: "1,2,3,4,6,8,10,12" },
    "timeout-s": { type: "string", default: "120" },
    /** The JSON file; default bench/results/scale-<mode>.json. */
    out: { type: "string" },
  },
});
const steps = String(flags.steps)
  .split(",")
  .map((text) => Number.parseInt(text, 10));
if (steps.some((n) => !Number.isInteger(n) || n < 1))
  throw new Error(`--steps: positive integers, got ${flags.steps}`);
const timeoutMs = Number(flags["timeout-s"]) * 1000;
if (!(timeoutMs > 0)) throw new Error(`--timeout-s: a positive number, got ${flags["timeout-s"]}`);

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const log = (text: string) => process.stderr.write(`[scale] ${text}\n`);

async function chooseMode(): Promise<{ mode: "host" } | { mode: "container"; tag: string }> {
  if (flags.mode === "host") return { mode: "host" };
  const engine = await probeEngine();
  if (!engine.ok) {
    if (flags.mode === "container")
      throw new Error(`--mode container: ${engine.reason} (fix: ${engine.fix})`);
    log(`no Docker engine (${engine.reason}): host-process labs`);
    return { mode: "host" };
  }
  const image = await labContainerImage({ onProgress: (event) => log(`${event.phase}: ${event.message}`) });
  return { mode: "container", tag: image.tag };
}

interface LabOutcome {
  readonly lab: number;
  /** The whole lab: guest image lookup, the boot, clean-up. */
  readonly seconds: number;
  /** The boot alone, QEMU start to exit: what the time-out applies to. */
  readonly bootSeconds: number | undefined;
  readonly verdict: "ok" | "time-out" | "cross-talk" | "failed";
  readonly detail?: string;
  readonly exits: Record<string, string>;
}

/** Each nvme-cli step's exit status, the part of a run that must not depend on the load. */
function stepExits(flow: GuestFlowResult): Record<string, string> {
  const results = flow.boots[0]?.results ?? {};
  return Object.fromEntries(
    Object.values(OsStep)
      .filter((step) => `${step}.exit` in results)
      .map((step) => [step, results[`${step}.exit`] ?? "?"]),
  );
}

function judge(
  lab: number,
  flow: GuestFlowResult,
  ownImage: Uint8Array,
  reference: Record<string, string> | undefined,
): LabOutcome {
  const exits = stepExits(flow);
  const base = { lab, seconds: flow.seconds, bootSeconds: flow.boots[0]?.seconds, exits };
  if (flow.error)
    return {
      ...base,
      verdict: flow.error.code === "LAB_GUEST_TIMEOUT" ? "time-out" : "failed",
      detail: `${flow.error.code}: ${flow.error.message.split("\n")[0]}`,
    };
  const own = new Uint8Array(BP_BYTES);
  own.set(ownImage);
  const readBack = flow.boots[0]?.results[OsStep.readBp1Sha];
  if (readBack !== sha256(own) || flow.bootPartitions[1] !== sha256(own))
    return {
      ...base,
      verdict: "cross-talk",
      detail: `BP1 read back ${readBack}, file ${flow.bootPartitions[1]}`,
    };
  if (reference && JSON.stringify(exits) !== JSON.stringify(reference))
    return {
      ...base,
      verdict: "failed",
      detail: `nvme-cli outcomes differ from the solo run: ${JSON.stringify(exits)}`,
    };
  return { ...base, verdict: "ok" };
}

const choice = await chooseMode();
async function runLab(index: number, job: GuestFlowJob, step: number): Promise<GuestFlowResult> {
  if (choice.mode === "host") return runGuestFlowOnHost(job);
  return withLabContainer({ image: choice.tag, name: `scale-${step}-${index}` }, (lab) =>
    runGuestFlowInContainer(job, lab),
  );
}

interface StepRow {
  readonly labs: number;
  readonly wallSeconds: number;
  readonly labSeconds: { min: number; median: number; max: number };
  /** The slowest boot of the step, against the time-out. */
  readonly bootSecondsMax: number;
  readonly loadBefore: number;
  readonly loadAfter: number;
  readonly verdicts: Record<string, number>;
  readonly outcomes: readonly LabOutcome[];
}

const rows: StepRow[] = [];
let reference: Record<string, string> | undefined;
let firstFailure: { labs: number; verdict: string } | undefined;
log(
  `mode ${choice.mode}${choice.mode === "container" ? ` (${choice.tag})` : ""}, time-out ${timeoutMs / 1000} s`,
);
for (const labs of steps) {
  const images = Array.from({ length: labs }, () => new Uint8Array(randomBytes(OS_IMAGE_BYTES)));
  const loadBefore = loadavg()[0] ?? 0;
  const startedMs = Date.now();
  let finished = 0;
  const flows = await Promise.all(
    images.map(async (image, index) => {
      const job: GuestFlowJob = {
        bpsz: BPSZ,
        bp0: new Uint8Array(0),
        bp1: new Uint8Array(0),
        timeoutMs,
        boots: [{ name: "os attempts", ...scriptParts(osAttemptScript(image, BPSZ)) }],
      };
      const flow = await runLab(index, job, labs);
      log(`N=${labs}: lab ${index} done in ${flow.seconds.toFixed(1)} s (${++finished}/${labs})`);
      return flow;
    }),
  );
  const wallSeconds = (Date.now() - startedMs) / 1000;
  const outcomes = flows.map((flow, index) => judge(index, flow, images[index] as Uint8Array, reference));
  if (labs === steps[0] && outcomes.every((o) => o.verdict === "ok")) reference = outcomes[0]?.exits;
  const seconds = outcomes.map((o) => o.seconds).sort((a, b) => a - b);
  const verdicts: Record<string, number> = {};
  for (const o of outcomes) verdicts[o.verdict] = (verdicts[o.verdict] ?? 0) + 1;
  const row: StepRow = {
    labs,
    wallSeconds,
    labSeconds: {
      min: seconds[0] ?? 0,
      median: seconds[Math.floor(seconds.length / 2)] ?? 0,
      max: seconds.at(-1) ?? 0,
    },
    bootSecondsMax: Math.max(0, ...outcomes.map((o) => o.bootSeconds ?? 0)),
    loadBefore,
    loadAfter: loadavg()[0] ?? 0,
    verdicts,
    outcomes,
  };
  rows.push(row);
  log(`N=${labs}: ${JSON.stringify(verdicts)} in ${wallSeconds.toFixed(1)} s`);
  const bad = outcomes.find((o) => o.verdict !== "ok");
  if (bad) {
    firstFailure = { labs, verdict: bad.verdict };
    log(`N=${labs}: first ${bad.verdict}: lab ${bad.lab}: ${bad.detail}`);
    break;
  }
}

function scriptParts(script: ReturnType<typeof osAttemptScript>) {
  return { script: script.text, files: script.files };
}

const lastGood = [...rows].reverse().find((row) => Object.keys(row.verdicts).join() === "ok");
const report = {
  date: new Date().toISOString(),
  mode: choice.mode,
  image: choice.mode === "container" ? choice.tag : undefined,
  machine: {
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeGiB: Math.round(freemem() / 2 ** 30),
  },
  lab: "one Linux guest boot (patched QEMU, TCG, 512 MiB) running @bplab/firmware's osAttemptScript",
  timeoutSeconds: timeoutMs / 1000,
  maxLabsWithoutTimeout: lastGood?.labs ?? 0,
  firstFailure,
  steps: rows,
};
mkdirSync(RESULTS_DIR, { recursive: true });
const file = flags.out ?? join(RESULTS_DIR, `scale-${choice.mode}.json`);
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

const table = [
  "| labs | wall s | per lab s (min / median / max) | slowest boot s | load 1 min before → after | verdicts |",
  "| ---: | ---: | --- | ---: | --- | --- |",
  ...rows.map(
    (row) =>
      `| ${row.labs} | ${row.wallSeconds.toFixed(1)} | ${row.labSeconds.min.toFixed(1)} / ${row.labSeconds.median.toFixed(1)} / ${row.labSeconds.max.toFixed(1)} | ${row.bootSecondsMax.toFixed(1)} | ${row.loadBefore.toFixed(1)} → ${row.loadAfter.toFixed(1)} | ${Object.entries(
        row.verdicts,
      )
        .map(([verdict, count]) => `${count} ${verdict}`)
        .join(", ")} |`,
  ),
];
console.log(table.join("\n"));
console.log(
  `\n${choice.mode} labs side by side before the first time-out (${timeoutMs / 1000} s): ${report.maxLabsWithoutTimeout}` +
    (firstFailure
      ? ` (first failure at N=${firstFailure.labs}: ${firstFailure.verdict})`
      : " (no time-out in the ramp)") +
    `\n${file}`,
);

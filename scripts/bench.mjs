#!/usr/bin/env node
/**
 * `pnpm bench [--quick] [--only <pkg,pkg>] [--json]`: runs every package's bench one after the
 * other (never in parallel: each measures its limit in the same run, and two benches at once would
 * disturb each other), then prints ONE table of the issue-13 rows: each figure next to its limit
 * from the same run, as a ratio, with the goal and the load average. Writes
 * bench-results/bench.json. Benchmarks are measurements: this exits non-zero only when a bench
 * crashes, never because a goal is missed.
 *
 * Rows come from each package's bench-results/*.json files that carry `rows` (controller: core
 * and storage rows; qtest: QEMU rows). Packages whose bench reports other figures are listed with
 * their JSON file.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const json = args.includes("--json");
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? new Set(args[onlyIndex + 1]?.split(",")) : undefined;
/** The issue-13 benches first, so their rows are measured before the others heat the machine. */
const FIRST = ["controller", "qtest"];
/** With --quick, the QEMU bench reads a 16 MiB BP instead of 64 MiB. */
const QUICK_QEMU_BP_MIB = "16";

function benchPackages() {
  const dir = join(root, "packages");
  const names = readdirSync(dir).filter((name) => {
    const manifest = join(dir, name, "package.json");
    return existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).scripts?.bench;
  });
  const rank = (name) => (FIRST.includes(name) ? FIRST.indexOf(name) : FIRST.length);
  return names
    .filter((name) => only === undefined || only.has(name))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Runs one package's `bench` script the way pnpm would (cwd = the package), output to stderr. */
function runBench(name) {
  const dir = join(root, "packages", name);
  const script = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).scripts.bench;
  const env = {
    ...process.env,
    PATH: `${join(dir, "node_modules/.bin")}:${join(root, "node_modules/.bin")}:${process.env.PATH}`,
  };
  if (quick && name === "qtest") env.BPLAB_BENCH_BP_MIB ??= QUICK_QEMU_BP_MIB;
  const command = `${script}${quick ? " --quick" : ""}`;
  process.stderr.write(`\n== ${name}: ${command}\n`);
  const started = Date.now();
  const child = spawnSync("sh", ["-c", command], {
    cwd: dir,
    env,
    stdio: ["ignore", process.stderr, process.stderr],
  });
  return { name, status: child.status, seconds: (Date.now() - started) / 1000, startedAt: started };
}

/** The JSON files a package's bench wrote during this run. */
function resultsOf(name, since) {
  const dir = join(root, "packages", name, "bench-results");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith(".json"))
    .map((file) => join(dir, file))
    .filter((file) => statSync(file).mtimeMs >= since)
    .map((file) => ({ file, report: JSON.parse(readFileSync(file, "utf8")) }));
}

/** qtest writes `goal` as a ratio (0.25); the controller and storage rows write it as text. */
export function normalise(row, section) {
  const ratio = row.ratio ?? (row.limit ? row.value / row.limit : undefined);
  if (typeof row.goal === "number") {
    return {
      section,
      ...row,
      ratio,
      goal: `>= ${Math.round(row.goal * 100)}%`,
      met: ratio === undefined ? undefined : ratio >= row.goal,
    };
  }
  return { section, ...row, ratio };
}

function figure(value, unit) {
  if (value === undefined || value === null) return "—";
  const text = value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(1);
  return `${text} ${unit}`;
}

export function table(rows) {
  const header = ["section", "workload", "now", "limit (same run)", "ratio", "goal", "verdict"];
  const lines = rows.map((row) => [
    row.section,
    row.workload,
    figure(row.value, row.unit),
    row.limit === undefined ? "—" : `${figure(row.limit, row.unit)} (${row.limitName ?? "limit"})`,
    row.ratio === undefined ? "—" : `${(row.ratio * 100).toFixed(1)}%`,
    row.goal ?? "report",
    row.met === undefined ? "report" : row.met ? "met" : "MISSED",
  ]);
  return [header, header.map(() => "---"), ...lines].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

/** Runs the benches and prints the table; the functions above are exported for the tests. */
function main() {
  const loadBefore = loadavg();
  const runs = benchPackages().map(runBench);
  const loadAfter = loadavg();
  const rows = [];
  const otherReports = [];
  for (const run of runs) {
    for (const { file, report } of resultsOf(run.name, run.startedAt)) {
      const path = relative(root, file);
      if (Array.isArray(report.rows) && report.rows.every((row) => typeof row.workload === "string")) {
        const section = run.name === "qtest" ? "qemu" : run.name;
        for (const row of report.rows) rows.push(normalise(row, row.section ?? section));
      } else {
        otherReports.push({ package: run.name, file: path, skipped: report.skipped });
      }
    }
  }

  const summary = {
    date: new Date().toISOString(),
    node: process.version,
    quick,
    loadAverage: { before: loadBefore, after: loadAfter },
    runs: runs.map(({ name, status, seconds }) => ({ name, status, seconds })),
    rows,
    otherReports,
  };
  mkdirSync(join(root, "bench-results"), { recursive: true });
  writeFileSync(join(root, "bench-results", "bench.json"), `${JSON.stringify(summary, null, 2)}\n`);

  if (json) {
    console.log(JSON.stringify(summary));
  } else {
    const load = (values) => values.map((value) => value.toFixed(2)).join(" / ");
    console.log(`\nIssue 13, ${summary.date}, Node ${process.version}${quick ? ", --quick sizes" : ""}`);
    console.log(`load average ${load(loadBefore)} before, ${load(loadAfter)} after\n`);
    console.log(table(rows));
    for (const other of otherReports) {
      console.log(
        `\n${other.package}: ${other.skipped ? `skipped (${other.skipped})` : `see ${other.file}`}`,
      );
    }
    for (const run of runs.filter((r) => r.status !== 0))
      console.log(`\n${run.name}: the bench FAILED (status ${run.status})`);
    console.log(`\nJSON: ${relative(root, join(root, "bench-results", "bench.json"))}`);
  }
  process.exitCode = runs.some((run) => run.status !== 0) ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();

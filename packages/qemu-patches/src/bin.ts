#!/usr/bin/env node
/**
 * bplab-qemu: fetch | apply | build | test | check | path, usable before the main `bplab` CLI
 * wires these in. Progress goes to stderr, results to stdout (JSON with --json).
 */
import { applyPatches, type BuildOptions, build, qemuBinaryPath } from "./build.js";
import { check } from "./check.js";
import { type CliArgs, parseCliArgs, USAGE } from "./cli-args.js";
import { QemuPatchesError } from "./errors.js";
import { createProgressPrinter, formatElapsed } from "./progress.js";
import { runQtests } from "./qtests.js";
import { fetchSource } from "./source.js";

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

function buildOptions(args: CliArgs): BuildOptions {
  const interactive = process.stderr.isTTY === true;
  return {
    installDependencies: args.installDependencies,
    force: args.force,
    onProgress: createProgressPrinter({
      write: (text) => process.stderr.write(text),
      interactive,
      ...(interactive && process.stderr.columns ? { columns: process.stderr.columns } : {}),
    }),
    ...(args.jobs === undefined ? {} : { jobs: args.jobs }),
    ...(args.cacheDir === undefined ? {} : { cacheDir: args.cacheDir }),
    ...(args.source === undefined ? {} : { source: args.source }),
    ...(args.patchesDir === undefined ? {} : { patchesDir: args.patchesDir }),
  };
}

function output(args: CliArgs, value: unknown, text: string): void {
  if (process.stderr.isTTY) process.stderr.write("\n");
  process.stdout.write(args.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseCliArgs(argv);
  if (args.command === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const options = buildOptions(args);
  switch (args.command) {
    case "fetch": {
      const source = await fetchSource(options);
      output(args, source, `${source.path} (${source.kind}, ${source.verified ? "verified" : "not pinned"})`);
      return 0;
    }
    case "apply": {
      const tree = await applyPatches(options);
      output(args, tree, `${tree.sourceDir}: ${tree.commits.length} patches applied`);
      return 0;
    }
    case "build": {
      const built = await build(options);
      const how = built.cached ? "cached" : `built in ${formatElapsed(built.durationMs)}`;
      output(args, built, `${built.binary} (${how}, key ${built.key})`);
      return 0;
    }
    case "path": {
      const path = qemuBinaryPath(options);
      output(args, { path }, path);
      return 0;
    }
    case "test": {
      await build(options);
      const result = await runQtests(options);
      const lines = [
        ...result.tests.map(
          (test) => `${test.ok ? "ok" : "not ok"} ${test.name}${test.skip ? ` # ${test.skip}` : ""}`,
        ),
        `Boot Partition: ${result.bootPartition.passed} passed, ${result.bootPartition.failed} failed`,
        `stock nvme:     ${result.stock.passed} passed, ${result.stock.failed} failed`,
        `${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped (${formatElapsed(result.durationMs)})`,
      ];
      output(args, result, lines.join("\n"));
      return result.failed === 0 && result.passed > 0 ? 0 : EXIT_FAILURE;
    }
    case "check": {
      const result = await check({ ...options, ...(args.gates ? { gates: args.gates } : {}) });
      const lines = result.gates.flatMap((gate) => [
        `${gate.ok ? "PASS" : "FAIL"} ${gate.name}: ${gate.summary}${gate.cached ? "" : ` (${formatElapsed(gate.durationMs)})`}`,
        ...(gate.ok ? [] : gate.details.map((line) => `     ${line}`)),
      ]);
      output(args, result, lines.join("\n"));
      return result.ok ? 0 : EXIT_FAILURE;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof QemuPatchesError) {
      process.stderr.write(`\nbplab-qemu: error [${error.code}]: ${error.message}\n`);
      process.exit(error.code === "QEMU_BAD_OPTION" ? EXIT_USAGE : EXIT_FAILURE);
    }
    process.stderr.write(`\nbplab-qemu: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(EXIT_FAILURE);
  },
);

#!/usr/bin/env node
/**
 * bplab-qemu: fetch | apply | build | test | check | path, usable before the main `bplab` CLI
 * wires these in. Progress goes to stderr, results to stdout (JSON with --json).
 */
import { applyPatches, type BuildOptions, build, qemuBinaryPath } from "./build.js";
import { check } from "./check.js";
import { type CliArgs, parseCliArgs, USAGE } from "./cli-args.js";
import { QemuPatchesError } from "./errors.js";
import { createProgressPrinter } from "./progress.js";
import { runQtests } from "./qtests.js";
import { formatBuild, formatCheck, formatQtests, formatSource, formatTree, qtestsPassed } from "./report.js";
import { fetchSource } from "./source.js";

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

function buildOptions(args: CliArgs): BuildOptions {
  const interactive = process.stderr.isTTY === true;
  return {
    installDependencies: args.installDependencies,
    force: args.force,
    unpatched: args.unpatched,
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
      output(args, source, formatSource(source));
      return 0;
    }
    case "apply": {
      const tree = await applyPatches(options);
      output(args, tree, formatTree(tree));
      return 0;
    }
    case "build": {
      const built = await build(options);
      output(args, built, formatBuild(built));
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
      output(args, result, formatQtests(result));
      return qtestsPassed(result) ? 0 : EXIT_FAILURE;
    }
    case "check": {
      const result = await check({ ...options, ...(args.gates ? { gates: args.gates } : {}) });
      output(args, result, formatCheck(result));
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

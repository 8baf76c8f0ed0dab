/**
 * `bplab qemu fetch|apply|build|test|check|path`: a thin wrapper over @bplab/qemu-patches, which
 * owns the QEMU 10.2.2 source, the patch series, its cached build, qtests and quality gates.
 * Progress goes to stderr; results to stdout (JSON with --json).
 */
import {
  applyPatches,
  BadOptionError,
  type BuildOptions,
  build,
  check,
  createProgressPrinter,
  fetchSource,
  formatBuild,
  formatCheck,
  formatQtests,
  formatSource,
  formatTree,
  QemuPatchesError,
  qemuBinaryPath,
  qtestsPassed,
  runQtests,
} from "@bplab/qemu-patches";
import { CliFailure, CliUsageError } from "../errors.js";
import type { CliIo } from "../io.js";

export const QEMU_SUBCOMMANDS = ["fetch", "apply", "build", "test", "check", "path"] as const;
export type QemuSubcommand = (typeof QEMU_SUBCOMMANDS)[number];

export interface QemuCommandOptions {
  json?: boolean;
  force?: boolean;
  jobs?: number;
  cacheDir?: string;
  source?: string;
  /** false with --no-install-deps: do not apt-get install missing build dependencies. */
  installDeps?: boolean;
  /** build/path: QEMU 10.2.2 without the patch series (same recipe, cached apart). */
  unpatched?: boolean;
}

/** The subcommands that take --unpatched: the unpatched QEMU is built and found, not tested. */
export const UNPATCHED_SUBCOMMANDS: readonly QemuSubcommand[] = ["build", "path"];

interface Outcome {
  /** What --json prints. */
  value: unknown;
  /** What a person reads. */
  text: string;
  ok: boolean;
}

/** @bplab/qemu-patches names option fields its own way; the user typed these options. */
const OPTION_FOR_FIELD: Readonly<Record<string, string>> = Object.freeze({
  source: "--source",
  BPLAB_QEMU_SRC: "--source",
  jobs: "--jobs",
  cacheDir: "--cache-dir",
});

function buildOptions(io: CliIo, options: QemuCommandOptions): BuildOptions {
  const stream = io.progressStream;
  return {
    installDependencies: options.installDeps ?? true,
    force: options.force ?? false,
    unpatched: options.unpatched ?? false,
    onProgress: createProgressPrinter({
      write: io.err,
      interactive: stream !== undefined,
      ...(stream?.columns ? { columns: stream.columns } : {}),
    }),
    ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    ...(options.source === undefined ? {} : { source: options.source }),
  };
}

/** Calls @bplab/qemu-patches and prints its own text reports, so `bplab qemu` and `bplab-qemu` agree. */
async function run(subcommand: QemuSubcommand, options: BuildOptions): Promise<Outcome> {
  switch (subcommand) {
    case "fetch": {
      const source = await fetchSource(options);
      return { value: source, text: formatSource(source), ok: true };
    }
    case "apply": {
      const tree = await applyPatches(options);
      return { value: tree, text: formatTree(tree), ok: true };
    }
    case "build": {
      const built = await build(options);
      return { value: built, text: formatBuild(built), ok: true };
    }
    case "path": {
      const path = qemuBinaryPath(options);
      return { value: { path }, text: path, ok: true };
    }
    case "test": {
      await build(options);
      const result = await runQtests(options);
      return { value: result, text: formatQtests(result), ok: qtestsPassed(result) };
    }
    case "check": {
      const result = await check(options);
      return { value: result, text: formatCheck(result), ok: result.ok };
    }
  }
}

export async function runQemuCommand(
  io: CliIo,
  subcommand: QemuSubcommand,
  options: QemuCommandOptions,
): Promise<void> {
  if (options.unpatched && !UNPATCHED_SUBCOMMANDS.includes(subcommand))
    throw new CliUsageError("--unpatched", `only applies to ${UNPATCHED_SUBCOMMANDS.join(" and ")}`);
  let outcome: Outcome;
  try {
    outcome = await run(subcommand, buildOptions(io, options));
  } catch (error) {
    if (error instanceof BadOptionError) {
      const rule = error.message.startsWith(`${error.field}: `)
        ? error.message.slice(error.field.length + 2)
        : error.message;
      throw new CliUsageError(OPTION_FOR_FIELD[error.field] ?? error.field, rule);
    }
    if (error instanceof QemuPatchesError)
      throw new CliFailure("CLI_QEMU", `qemu ${subcommand}: [${error.code}] ${error.message}`);
    throw error;
  }
  io.out(options.json ? `${JSON.stringify(outcome.value, null, 2)}\n` : `${outcome.text}\n`);
  if (!outcome.ok) throw new CliFailure("CLI_CHECK_FAILED", `qemu ${subcommand} did not pass`);
}

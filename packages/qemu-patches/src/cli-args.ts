/** Command-line parsing of `bplab-qemu` (kept apart from bin.ts so it can be tested). */

import { GATE_NAMES, type GateName } from "./check.js";
import { BadOptionError } from "./errors.js";

export const COMMANDS = ["fetch", "apply", "build", "test", "check", "path"] as const;
export type CommandName = (typeof COMMANDS)[number];
/** The commands that take --unpatched. */
export const UNPATCHED_COMMANDS: readonly CommandName[] = ["build", "path"];

export interface CliArgs {
  readonly command: CommandName | "help";
  readonly json: boolean;
  readonly force: boolean;
  readonly installDependencies: boolean;
  /** build/path: the pinned source without the series. */
  readonly unpatched: boolean;
  readonly jobs?: number;
  readonly cacheDir?: string;
  readonly source?: string;
  readonly patchesDir?: string;
  readonly gates?: readonly GateName[];
}

export const USAGE = `usage: bplab-qemu <command> [options]

commands:
  fetch   download Debian's qemu_10.2.2+ds.orig.tar.xz (or use BPLAB_QEMU_SRC) and verify it
  apply   unpack the source and apply the patch series (one git commit per patch)
  build   build the patched qemu-system-x86_64 and qos-test (cached by source, patches, flags)
          (--unpatched: the same recipe without the series, cached apart)
  test    build if needed, then run the nvme qtests (stock and Boot Partition)
  check   build if needed, then run the gates: checkpatch, bisect, qtests, stock-qtests
  path    print the path of the patched qemu-system-x86_64 (fails when it is not built)
          (--unpatched: of the build without the series)

options:
  --json              print the result as JSON on stdout
  --force             rebuild even when a cached build exists
  --no-install        do not install missing Debian packages
  --unpatched         for build and path: QEMU 10.2.2 without the series (same flags and devices)
  --jobs N            parallel compile jobs (default: the number of CPUs)
  --cache-dir DIR     cache root (default: BPLAB_CACHE_DIR or ~/.cache/bplab)
  --source PATH       a QEMU 10.2.2 tarball or git checkout (default: BPLAB_QEMU_SRC, else Debian's)
  --patches DIR       the patch directory (default: the package's patches/)
  --gates LIST        for check: a comma-separated subset of ${GATE_NAMES.join(",")}
`;

function isCommand(word: string): word is CommandName {
  return (COMMANDS as readonly string[]).includes(word);
}

function isGate(word: string): word is GateName {
  return (GATE_NAMES as readonly string[]).includes(word);
}

export function parseCliArgs(argv: readonly string[]): CliArgs {
  const [first, ...rest] = argv;
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    return { command: "help", json: false, force: false, installDependencies: true, unpatched: false };
  }
  if (!isCommand(first))
    throw new BadOptionError("command", `must be one of ${COMMANDS.join(", ")}, got "${first}"`);
  const args: {
    -readonly [K in keyof CliArgs]: CliArgs[K];
  } = { command: first, json: false, force: false, installDependencies: true, unpatched: false };
  for (let index = 0; index < rest.length; index++) {
    const flag = rest[index] ?? "";
    const value = () => {
      const next = rest[++index];
      if (next === undefined || next.startsWith("--")) throw new BadOptionError(flag, "needs a value");
      return next;
    };
    switch (flag) {
      case "--json":
        args.json = true;
        break;
      case "--force":
        args.force = true;
        break;
      case "--no-install":
        args.installDependencies = false;
        break;
      case "--unpatched":
        args.unpatched = true;
        break;
      case "--jobs": {
        const jobs = Number(value());
        if (!Number.isInteger(jobs) || jobs < 1)
          throw new BadOptionError("--jobs", "must be a whole number of at least 1");
        args.jobs = jobs;
        break;
      }
      case "--cache-dir":
        args.cacheDir = value();
        break;
      case "--source":
        args.source = value();
        break;
      case "--patches":
        args.patchesDir = value();
        break;
      case "--gates": {
        const gates = value().split(",").filter(Boolean);
        const unknown = gates.filter((gate) => !isGate(gate));
        if (gates.length === 0 || unknown.length > 0) {
          throw new BadOptionError("--gates", `must be a comma-separated subset of ${GATE_NAMES.join(",")}`);
        }
        args.gates = gates.filter(isGate);
        break;
      }
      default:
        throw new BadOptionError(flag, "is not an option of bplab-qemu (see --help)");
    }
  }
  if (args.gates && args.command !== "check") throw new BadOptionError("--gates", "only applies to check");
  // the qtests and gates are the series' own; the unpatched build is only built and found
  if (args.unpatched && !UNPATCHED_COMMANDS.includes(first))
    throw new BadOptionError("--unpatched", `only applies to ${UNPATCHED_COMMANDS.join(" and ")}`);
  return args;
}

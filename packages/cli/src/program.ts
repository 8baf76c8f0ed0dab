/**
 * The `bplab` command line. `runCli` takes the arguments and an output sink and returns the exit
 * code, so tests run it in process; bin.ts is the thin shell around it.
 */
import { StorageError } from "@bplab/controller";
import { StateDirError } from "@bplab/controller/storage";
import { Command, CommanderError } from "commander";
import { bpActivate, bpInit, bpLock, bpStatus } from "./commands/bp-state.js";
import { bpRead, bpWrite, type ReadPath } from "./commands/bp-transfer.js";
import { runDemo } from "./commands/demo.js";
import {
  FIRMWARE_LOCK_CHOICES,
  FIRMWARE_SUBCOMMANDS,
  FIRMWARE_TARGETS,
  type FirmwareCommandOptions,
  runFirmwareCommand,
} from "./commands/firmware.js";
import { registerLabCommand } from "./commands/lab.js";
import {
  QEMU_SUBCOMMANDS,
  type QemuCommandOptions,
  type QemuSubcommand,
  runQemuCommand,
} from "./commands/qemu.js";
import { DEFAULT_RUN_MEMORY, type RunOptions, runRunCommand } from "./commands/run.js";
import { GUEST_CHOICES } from "./commands/run-guest.js";
import { runScenarioCommand, SCENARIO_TARGETS, type ScenarioTargetChoice } from "./commands/scenario.js";
import { runServe, SERVE_PROFILES, type ServeOptions } from "./commands/serve.js";
import { CliFailure, CliUsageError, ExitCode, type ExitCodeValue } from "./errors.js";
import type { CliIo } from "./io.js";
import {
  bpidOption,
  bpSizeOption,
  choiceOption,
  countOption,
  lockStateOption,
  sizeOption,
} from "./options.js";

const DEFAULT_DEMO_BP_BYTES = 128 * 1024;
const READ_PATHS: readonly ReadPath[] = ["log", "bprsel"];

/** A `bp` subcommand on a state directory; with `bpRole`, it also takes `--bp <n>`. */
function stateCommand(bp: Command, name: string, description: string, bpRole?: string): Command {
  const command = bp
    .command(name)
    .description(description)
    .requiredOption("--state <dir>", "the state directory");
  return bpRole ? command.requiredOption("--bp <n>", `${bpRole}: 0 or 1`, bpidOption()) : command;
}

function buildProgram(io: CliIo): Command {
  const program = new Command("bplab")
    .description(
      "The NVMe Boot Partition lab: the firmware BP flow, the scenario suite, state directories, QEMU",
    )
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError("(add --help for usage)");

  program
    .command("demo")
    .description(
      "run the firmware flow (unlock, download, commit CA=110b, lock, read back, reset, power cycle) in process",
    )
    .option("--json", "print the controller's trace as JSON lines instead of the transcript")
    .option(
      "--bpsz <size>",
      "size of each BP, a multiple of 128K",
      bpSizeOption("--bpsz"),
      DEFAULT_DEMO_BP_BYTES,
    )
    .action(async (options: { json?: boolean; bpsz: number }) => {
      await runDemo(io, options);
    });

  program
    .command("scenario")
    .description("run the scenario suite and print a pass/fail table")
    .option(
      "--target <target>",
      `one of ${SCENARIO_TARGETS.join(", ")}`,
      choiceOption("--target", SCENARIO_TARGETS),
      "core",
    )
    .option("--filter <text>", "only scenarios whose id contains this text")
    .option("--json", "one JSON line per scenario result")
    .action(async (options: { target: ScenarioTargetChoice; filter?: string; json?: boolean }) => {
      await runScenarioCommand(io, options);
    });

  const bp = program
    .command("bp")
    .description("work on a state directory (each invocation is one power-on period)");
  stateCommand(bp, "init", "create a state directory with two BPs (sparse files)")
    .requiredOption("--bpsz <size>", "size of each BP, a multiple of 128K, e.g. 1G", bpSizeOption("--bpsz"))
    .option(
      "--namespace-size <size>",
      "size of the namespace image, e.g. 64M",
      sizeOption("--namespace-size"),
    )
    .action((options: { state: string; bpsz: number; namespaceSize?: number }) => bpInit(io, options));
  stateCommand(bp, "status", "BPINFO, ABPID, lock states and the Identify fields a BP host reads")
    .option("--json", "print one JSON object")
    .action(async (options: { state: string; json?: boolean }) => {
      await bpStatus(io, options);
    });
  stateCommand(
    bp,
    "write",
    "unlock BP n, download a file (Firmware Image Download), commit CA=110b, lock again",
    "the BP to replace",
  )
    .requiredOption("--file <path>", "the image (at most one BP; a shorter image is zero-filled)")
    .option(
      "--chunk <size>",
      "bytes per Firmware Image Download: a multiple of FWUG, at most MDTS (the default); 4K sends FWUG-sized pieces like the firmware",
      sizeOption("--chunk"),
    )
    .option("--verify", "read the BP back through log 15h and compare")
    .action(async (options: { state: string; bp: 0 | 1; file: string; chunk?: number; verify?: boolean }) => {
      await bpWrite(io, options);
    });
  stateCommand(bp, "read", "dump BP n (or a range of it) to a file", "the BP to read")
    .requiredOption("--out <path>", "the file to write")
    .option(
      "--via <path>",
      "log (Get Log Page 15h) or bprsel (BPRSEL/BPMBL)",
      choiceOption("--via", READ_PATHS),
      "log",
    )
    .option("--offset <size>", "start of the range", sizeOption("--offset"))
    .option("--length <size>", "bytes to read (default: to the end of the BP)", sizeOption("--length"))
    .action(
      async (options: {
        state: string;
        bp: 0 | 1;
        out: string;
        via: ReadPath;
        offset?: number;
        length?: number;
      }) => {
        await bpRead(io, options);
      },
    );
  stateCommand(
    bp,
    "lock",
    "Set Features 85h for one BP (lasts only for this invocation: the next one powers on Write Locked)",
    "the BP",
  )
    .requiredOption("--set <state>", "unlocked, locked or until-power-cycle", lockStateOption())
    .action(async (options: { state: string; bp: 0 | 1; set: number }) => {
      await bpLock(io, options);
    });
  stateCommand(
    bp,
    "activate",
    "Firmware Commit CA=111b: make BP n the active BP (BPINFO.ABPID, nonvolatile)",
    "the BP",
  ).action(async (options: { state: string; bp: 0 | 1 }) => {
    await bpActivate(io, options);
  });

  program
    .command("qemu")
    .description(`the patched QEMU through @bplab/qemu-patches: ${QEMU_SUBCOMMANDS.join(", ")}`)
    .argument("<subcommand>", QEMU_SUBCOMMANDS.join(", "), choiceOption("<subcommand>", QEMU_SUBCOMMANDS))
    .option("--json", "print the result as JSON")
    .option("--force", "rebuild even when a cached build exists")
    .option("--jobs <n>", "parallel compile jobs (default: the number of CPUs)", countOption("--jobs"))
    .option("--cache-dir <dir>", "where source, trees and builds are cached (default ~/.cache/bplab)")
    .option("--source <path>", "a QEMU tarball or git checkout instead of the pinned Debian tarball")
    .option("--no-install-deps", "do not install missing Debian build dependencies")
    .option("--unpatched", "build or path: QEMU 10.2.2 without the patch series (cached apart)")
    .action(async (subcommand: QemuSubcommand, options: QemuCommandOptions) => {
      await runQemuCommand(io, subcommand, options);
    });

  program
    .command("serve")
    .description(
      "serve the controller on a state directory to stock QEMU's vfio-user-pci, with a JSON control socket",
    )
    .requiredOption("--socket <path>", "the vfio-user unix socket QEMU connects to")
    .requiredOption("--state <dir>", "the state directory (see bp init, or pass --bpsz to create it)")
    .option(
      "--bpsz <size>",
      "create the state directory with BPs of this size when it is missing",
      bpSizeOption("--bpsz"),
    )
    .option(
      "--profile <name>",
      `quirk profile: ${SERVE_PROFILES.join(", ")}`,
      choiceOption("--profile", SERVE_PROFILES),
      "spec",
    )
    .option("--trace <file>", "write every controller trace event to this file as JSON lines")
    .option("--control <path>", "the control socket (default: <socket>.control)")
    .action(async (options: ServeOptions) => {
      await runServe(io, options);
    });

  program
    .command("run")
    .description(
      "bplab serve plus stock QEMU (q35, TCG, memfd RAM, vfio-user-pci) on its socket; both are cleaned up on exit",
    )
    .argument("[qemu-args...]", "more QEMU arguments, after --")
    .option("--state <dir>", "the state directory (default: a new one in the run directory)")
    .option("--bpsz <size>", "BP size when the state directory is created", bpSizeOption("--bpsz"))
    .option(
      "--profile <name>",
      `quirk profile: ${SERVE_PROFILES.join(", ")}`,
      choiceOption("--profile", SERVE_PROFILES),
    )
    .option("--trace <file>", "write every controller trace event to this file as JSON lines")
    .option("--qemu <path>", "qemu-system-x86_64 with vfio-user-pci (default: the unpatched build)")
    .option("--memory <size>", "guest RAM", DEFAULT_RUN_MEMORY)
    .option("--keep", "keep the run directory (sockets, default state directory)")
    .option(
      "--guest <guest>",
      `boot a guest that runs a script and powers off: ${GUEST_CHOICES.join(", ")}`,
      choiceOption("--guest", GUEST_CHOICES),
    )
    .option(
      "--guest-script <file>",
      "the shell script the guest runs (default: nvme list, id-ctrl, get-feature 0x85)",
    )
    .action(async (qemuArgs: string[], options: RunOptions) => {
      await runRunCommand(io, { ...options, qemuArgs });
    });

  program
    .command("firmware")
    .description("boot OVMF + the EFI app that updates and locks the BPs, then Linux, and print the timeline")
    .argument(
      "<subcommand>",
      FIRMWARE_SUBCOMMANDS.join(", "),
      choiceOption("<subcommand>", FIRMWARE_SUBCOMMANDS),
    )
    .option("--image <file>", "the new BP1 image (default: a 64 KiB pattern)")
    .option(
      "--lock <state>",
      `one of ${FIRMWARE_LOCK_CHOICES.join(", ")}`,
      choiceOption("--lock", FIRMWARE_LOCK_CHOICES),
      "upc",
    )
    .option(
      "--target <target>",
      `one of ${FIRMWARE_TARGETS.join(", ")}`,
      choiceOption("--target", FIRMWARE_TARGETS),
      "qemu",
    )
    .option("--keep", "keep the run's ESP, OVMF VARS, serial log and bootpart image")
    .option("--json", "print the timeline and timings as JSON")
    .action(async (_subcommand: string, options: FirmwareCommandOptions) => {
      await runFirmwareCommand(io, options);
    });
  registerLabCommand(program, io);
  return program;
}

/** Runs `bplab <argv…>` and returns the exit code: 0 ok, 1 failure, 2 bad arguments. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCodeValue> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: "user" });
    return ExitCode.Ok;
  } catch (error) {
    return reportError(io, error);
  }
}

function reportError(io: CliIo, error: unknown): ExitCodeValue {
  if (error instanceof CommanderError) {
    // Commander already printed its message (or the help text) through configureOutput.
    return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  }
  if (error instanceof CliUsageError || error instanceof StorageError) {
    io.err(`bplab: ${error.message}\n`);
    return ExitCode.Usage;
  }
  if (error instanceof CliFailure || error instanceof StateDirError) {
    io.err(`bplab: ${error.message}\n`);
    return ExitCode.Failure;
  }
  io.err(
    `bplab: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return ExitCode.Failure;
}

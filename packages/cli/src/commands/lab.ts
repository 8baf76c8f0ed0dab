/**
 * `bplab lab image [--force] [--json]` builds (or reuses) the lab's Docker image through
 * @bplab/container, with a progress bar on a terminal; `bplab lab doctor [--json]` says what the
 * lab needs on this machine, what is present, and the command that fixes what is missing.
 */
import {
  ContainerError,
  ensureLabImage,
  formatDoctorReport,
  type LabImageProgress,
  labDoctor,
} from "@bplab/container";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { CliFailure } from "../errors.js";
import type { CliIo } from "../io.js";

export const LAB_SUBCOMMANDS = ["image", "doctor"] as const;

export interface LabImageCommandOptions {
  force?: boolean;
  json?: boolean;
}

const MIB = 1024 * 1024;

/** Without a terminal: every counted step, but only every 100th of QEMU's 1500 compile steps. */
export function worthALine(event: LabImageProgress): boolean {
  if (event.current === undefined) return false;
  if (!event.message.startsWith("QEMU: ")) return true;
  return event.current % 100 === 0 || event.current === event.total;
}

/** A bar per phase on a terminal; one line per phase or build step otherwise. */
function progressReporter(io: CliIo): { onProgress: (event: LabImageProgress) => void; stop(): void } {
  const stream = io.progressStream;
  let bar: SingleBar | undefined;
  let phase: string | undefined;
  let lastLine = "";
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    stop,
    onProgress(event) {
      const seconds = Math.round(event.elapsedMs / 1000);
      if (!stream) {
        // log-friendly: a line when the phase or the counted step changes
        const line = `[lab image] ${event.phase} ${event.current !== undefined ? `${event.current}/${event.total} ` : ""}${event.message}`;
        if (line !== lastLine && (event.phase !== phase || worthALine(event)))
          io.err(`${line} (${seconds} s)\n`);
        lastLine = line;
        phase = event.phase;
        return;
      }
      if (event.phase !== phase) {
        stop();
        phase = event.phase;
        bar = new SingleBar({
          stream,
          format: `${event.phase.padEnd(7)} [{bar}] {value}/{total} {seconds}s {message}`,
          hideCursor: true,
        });
        bar.start(event.total ?? 1, event.current ?? 0, { message: event.message, seconds });
        return;
      }
      if (event.total !== undefined) bar?.setTotal(event.total);
      bar?.update(event.current ?? bar.getProgress() * bar.getTotal(), {
        message: event.message.slice(0, Math.max(20, (stream.columns ?? 100) - 50)),
        seconds,
      });
    },
  };
}

export async function runLabImage(io: CliIo, options: LabImageCommandOptions): Promise<void> {
  const progress = progressReporter(io);
  try {
    const image = await ensureLabImage({
      onProgress: progress.onProgress,
      ...(options.force ? { force: true } : {}),
    });
    progress.stop();
    if (options.json) {
      io.out(`${JSON.stringify(image)}\n`);
      return;
    }
    io.out(
      `${image.tag} (${image.built ? "built" : "reused"} in ${image.seconds} s, ${(image.sizeBytes / MIB).toFixed(0)} MiB), also ${image.latestTag}\n` +
        `run it: docker run --rm -it ${image.latestTag} bplab demo\n`,
    );
  } catch (error) {
    progress.stop();
    if (error instanceof ContainerError)
      throw new CliFailure("CLI_UNAVAILABLE", `lab image: [${error.code}] ${error.message}`);
    throw error;
  }
}

export async function runLabDoctor(io: CliIo, options: { json?: boolean }): Promise<void> {
  const report = await labDoctor();
  io.out(options.json ? `${JSON.stringify(report)}\n` : formatDoctorReport(report));
}

/** Adds `lab image` and `lab doctor` to the program (one line in program.ts). */
export function registerLabCommand(program: Command, io: CliIo): void {
  const lab = program.command("lab").description(`the lab as a Docker image: ${LAB_SUBCOMMANDS.join(", ")}`);
  lab
    .command("image")
    .description("build (or reuse) bplab/lab:<content hash> and tag it bplab/lab:latest")
    .option("--force", "build even when the tag exists (Docker's layer cache still applies)")
    .option("--json", "print {tag, latestTag, contentHash, built, seconds, sizeBytes} as JSON")
    .action(async (options: LabImageCommandOptions) => {
      await runLabImage(io, options);
    });
  lab
    .command("doctor")
    .description("what the lab needs here, what is present, what is missing and the command that fixes it")
    .option("--json", "print the report as JSON")
    .action(async (options: { json?: boolean }) => {
      await runLabDoctor(io, options);
    });
}

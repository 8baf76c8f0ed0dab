/**
 * `bplab qemu fetch|apply|build|test|check|path`: a thin wrapper over @bplab/qemu-patches, which
 * owns the QEMU 10.2.2 source, the patch series and its build. The package is loaded on demand so
 * the rest of the CLI works in a checkout without it; then each subcommand says so and why.
 */
import { CliFailure } from "../errors.js";
import type { CliIo } from "../io.js";

export const QEMU_SUBCOMMANDS = ["fetch", "apply", "build", "test", "check", "path"] as const;
export type QemuSubcommand = (typeof QEMU_SUBCOMMANDS)[number];

/** The API the wrapper calls, by subcommand (the package's documented function names). */
const API_NAMES: Readonly<Record<QemuSubcommand, string>> = Object.freeze({
  fetch: "fetchSource",
  apply: "applyPatches",
  build: "build",
  test: "runQtests",
  check: "check",
  path: "qemuBinaryPath",
});

const PACKAGE = "@bplab/qemu-patches";

type QemuPatchesApi = Record<string, ((options?: Record<string, unknown>) => unknown) | undefined>;

async function loadQemuPatches(): Promise<QemuPatchesApi> {
  try {
    // A variable specifier: the package is optional, and TypeScript must not require it to build.
    const specifier = PACKAGE;
    return (await import(specifier)) as QemuPatchesApi;
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND"
        ? `${PACKAGE} is not installed in this checkout`
        : String(error);
    throw new CliFailure("CLI_UNAVAILABLE", `qemu: not available yet: ${reason}`);
  }
}

export async function runQemuCommand(
  io: CliIo,
  subcommand: QemuSubcommand,
  options: { json?: boolean },
): Promise<void> {
  const api = await loadQemuPatches();
  const name = API_NAMES[subcommand];
  const call = api[name];
  if (typeof call !== "function") {
    throw new CliFailure(
      "CLI_UNAVAILABLE",
      `qemu ${subcommand}: not available yet: ${PACKAGE} has no ${name}()`,
    );
  }
  const result = await call({ log: (line: string) => io.err(`${line}\n`) });
  if (options.json) io.out(`${JSON.stringify(result ?? null)}\n`);
  else if (typeof result === "string") io.out(`${result}\n`);
  else if (result !== undefined) io.out(`${JSON.stringify(result, null, 2)}\n`);
}

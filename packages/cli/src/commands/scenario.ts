/**
 * `bplab scenario --target core|qemu|all`: runs the host package's scenario suite on each target
 * and prints a pass/fail table (or JSON lines). A target that cannot run here is reported as
 * "not available yet: <reason>" instead of failing obscurely.
 */
import {
  inProcessTargetFactory,
  runScenarios,
  type ScenarioResult,
  selectScenarios,
  type TargetFactory,
  TargetUnsupportedError,
} from "@bplab/host";
import {
  BOOTPART_PROPERTY,
  createQemuTargetFactory,
  findQemuBinary,
  probeDeviceProperties,
  QEMU_BUILD_COMMAND,
} from "@bplab/qtest";
import { CliFailure } from "../errors.js";
import type { CliIo } from "../io.js";

export const SCENARIO_TARGETS = ["core", "qemu", "all"] as const;
export type ScenarioTargetChoice = (typeof SCENARIO_TARGETS)[number];

export interface ScenarioCommandOptions {
  target: ScenarioTargetChoice;
  json?: boolean;
  filter?: string;
}

type Availability = { factory: TargetFactory } | { unavailable: string };

async function targetFactory(name: "core" | "qemu"): Promise<Availability> {
  if (name === "core") return { factory: inProcessTargetFactory() };
  try {
    const binary = await findQemuBinary();
    // An unpatched QEMU has no Boot Partitions: every scenario would fail for that one reason.
    if (!(await probeDeviceProperties(binary.path, "nvme")).includes(BOOTPART_PROPERTY)) {
      return {
        unavailable: `${binary.path} (${binary.source}) is not the patched QEMU (its nvme device has no "${BOOTPART_PROPERTY}" property); build it with: ${QEMU_BUILD_COMMAND}`,
      };
    }
    return { factory: asHostFactory(createQemuTargetFactory({ binary: binary.path })) };
  } catch (error) {
    return { unavailable: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * @bplab/qtest mirrors host's TargetUnsupportedError by name (it cannot import host); the runner
 * recognises host's class, so the mirror is translated here and such scenarios show as skipped.
 */
function asHostFactory(factory: (request: Parameters<TargetFactory>[0]) => Promise<unknown>): TargetFactory {
  return async (request) => {
    try {
      return (await factory(request)) as Awaited<ReturnType<TargetFactory>>;
    } catch (error) {
      if (error instanceof Error && error.name === "TargetUnsupportedError")
        throw new TargetUnsupportedError(error.message);
      throw error;
    }
  };
}

export async function runScenarioCommand(
  io: CliIo,
  options: ScenarioCommandOptions,
): Promise<ScenarioResult[]> {
  const names: ("core" | "qemu")[] = options.target === "all" ? ["core", "qemu"] : [options.target];
  const scenarios = selectScenarios(options.filter);
  if (scenarios.length === 0)
    throw new CliFailure("CLI_CHECK_FAILED", `no scenario id contains ${JSON.stringify(options.filter)}`);
  const idWidth = Math.max(...scenarios.map((s) => s.id.length));
  const all: ScenarioResult[] = [];
  let ranAny = false;
  for (const name of names) {
    const availability = await targetFactory(name);
    if ("unavailable" in availability) {
      if (options.json)
        io.out(
          `${JSON.stringify({ target: name, outcome: "unavailable", message: availability.unavailable })}\n`,
        );
      else io.out(`\n${name}: not available yet: ${availability.unavailable}\n`);
      continue;
    }
    ranAny = true;
    if (!options.json)
      io.out(`\n${name}: ${scenarios.length} scenarios\n${"scenario".padEnd(idWidth)}  result   note\n`);
    const results = await runScenarios(availability.factory, {
      filter: options.filter,
      onResult: (result) => {
        if (options.json) io.out(`${JSON.stringify({ ...result, target: name })}\n`);
        else
          io.out(`${result.id.padEnd(idWidth)}  ${result.outcome.padEnd(7)}  ${firstLine(result.message)}\n`);
      },
    });
    all.push(...results);
    if (!options.json) {
      const count = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
      io.out(`${name}: ${count("passed")} passed, ${count("failed")} failed, ${count("skipped")} skipped\n`);
      for (const failed of results.filter((r) => r.outcome === "failed")) {
        io.out(
          `\n${failed.id} failed: ${failed.message ?? ""}\n${(failed.transcriptTail ?? []).map((l) => `  ${l}`).join("\n")}\n`,
        );
      }
    }
  }
  if (!ranAny) throw new CliFailure("CLI_UNAVAILABLE", `no target could run: ${names.join(", ")}`);
  const failures = all.filter((r) => r.outcome === "failed").length;
  if (failures > 0) throw new CliFailure("CLI_CHECK_FAILED", `${failures} scenario(s) failed`);
  return all;
}

function firstLine(text: string | undefined): string {
  return (text ?? "").split("\n")[0] ?? "";
}

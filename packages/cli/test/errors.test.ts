/**
 * Every package's errors share @bplab/node-kit's CodedError base (issue 9): one `code` + message +
 * `name` shape that the CLI's error handling relies on. @bplab/nvme-spec stays dependency-free and
 * has a shape-compatible base instead.
 */
import { ControllerConfigError, ControllerError, DmaError, StorageError } from "@bplab/controller";
import { StateDirError } from "@bplab/controller/storage";
import { HostDriverError, ScenarioError, TargetError } from "@bplab/host";
import { CodedError, CommandFailedError } from "@bplab/node-kit";
import { fieldRangeError } from "@bplab/nvme-spec";
import { BadOptionError, QemuPatchesError } from "@bplab/qemu-patches";
import { InvalidArgumentError, QtestLabError } from "@bplab/qtest";
import { describe, expect, it } from "vitest";
import { CliFailure, CliUsageError } from "../src/errors.js";

describe("error bases", () => {
  const cases: Array<[Error & { code: string }, string, string]> = [
    [new ControllerError("SCHEDULER_RUNAWAY", "runaway"), "ControllerError", "SCHEDULER_RUNAWAY"],
    [new ControllerConfigError("config.mdts", "must be 0-7", 9), "ControllerConfigError", "CONFIG_INVALID"],
    [new DmaError(0x1000n, 8), "DmaError", "DMA_UNMAPPED"],
    [new StorageError("STORAGE_CLOSED", "store", "closed"), "StorageError", "STORAGE_CLOSED"],
    [
      new StateDirError("STATE_DIR_NOT_FOUND", "/x", "does not exist"),
      "StateDirError",
      "STATE_DIR_NOT_FOUND",
    ],
    [new HostDriverError("BAD_ARGUMENT", "bad"), "HostDriverError", "BAD_ARGUMENT"],
    [new ScenarioError("SCENARIO_ASSERTION", "bad"), "ScenarioError", "SCENARIO_ASSERTION"],
    [new TargetError("TARGET_CLOSED", "closed"), "TargetError", "TARGET_CLOSED"],
    [new QtestLabError("QEMU_NOT_FOUND", "none"), "QtestLabError", "QEMU_NOT_FOUND"],
    [new InvalidArgumentError("size", "must be > 0", 0), "InvalidArgumentError", "INVALID_ARGUMENT"],
    [new BadOptionError("--jobs", "must be a number"), "BadOptionError", "QEMU_BAD_OPTION"],
    [new CliUsageError("--bp", "must be 0 or 1"), "CliUsageError", "CLI_USAGE"],
    [new CliFailure("CLI_CHECK_FAILED", "mismatch"), "CliFailure", "CLI_CHECK_FAILED"],
  ];

  it("extends node-kit's CodedError in every package, named after its class, with its code", () => {
    for (const [error, name, code] of cases) {
      expect(error, name).toBeInstanceOf(CodedError);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(String(error)).toBe(`${name}: ${error.message}`);
    }
  });

  it("keeps nvme-spec's own base shape-compatible: code and class name", () => {
    const error = fieldRangeError("BPRSEL.BPID", 2, 1);
    expect(error).not.toBeInstanceOf(CodedError);
    expect(error).toMatchObject({ name: "NvmeSpecError", code: "FIELD_RANGE" });
  });

  it("still lets the CLI catch qemu-patches' command failures as QemuPatchesError", () => {
    expect(new CommandFailedError("make", 2, "", "QEMU_COMMAND_FAILED")).toBeInstanceOf(QemuPatchesError);
    expect(new CommandFailedError("make", 2, "", "LAB_COMMAND_FAILED")).not.toBeInstanceOf(QemuPatchesError);
  });
});

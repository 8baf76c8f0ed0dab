import { CommandFailedError as NodeKitCommandFailedError } from "@bplab/node-kit";
import { describe, expect, it } from "vitest";
import { BadOptionError, BuildFailedError, CommandFailedError, QemuPatchesError } from "../src/index.js";
import { runChecked, runCommand } from "../src/process.js";

describe("command failures", () => {
  it("are node-kit's CommandFailedError with QEMU_COMMAND_FAILED, and still QemuPatchesErrors", async () => {
    const error = await runChecked(runCommand, "sh", ["-c", "echo broken >&2; exit 3"]).catch(
      (thrown: unknown) => thrown,
    );
    expect(CommandFailedError).toBe(NodeKitCommandFailedError);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect(error).toBeInstanceOf(QemuPatchesError); // what bplab-qemu and the CLI catch
    expect(error).not.toBeInstanceOf(BuildFailedError);
    expect(error).toMatchObject({ code: "QEMU_COMMAND_FAILED", exitCode: 3, outputTail: "broken" });
  });

  it("keep instanceof exact for the package's own classes and foreign errors", () => {
    expect(new BadOptionError("cacheDir", "must be absolute")).toBeInstanceOf(QemuPatchesError);
    expect(new NodeKitCommandFailedError("x", 1, "")).not.toBeInstanceOf(QemuPatchesError);
    expect(new Error("x")).not.toBeInstanceOf(QemuPatchesError);
  });
});

import { describe, expect, it } from "vitest";
import { QemuNotFoundError } from "../src/errors.js";
import { findQemuBinary, QEMU_BUILD_COMMAND } from "../src/find-qemu.js";

// /bin/true and /bin/sh stand in for QEMU binaries: only "exists and is executable" matters here.
const MISSING = "/nonexistent/qemu-system-x86_64";
const none = async () => undefined;

describe("findQemuBinary", () => {
  it("prefers the explicit binary over BPLAB_QEMU", async () => {
    const found = await findQemuBinary({ binary: "/bin/true", env: { BPLAB_QEMU: "/bin/sh" } });
    expect(found).toEqual({ path: "/bin/true", source: "option" });
  });

  it("prefers BPLAB_QEMU over the patched build", async () => {
    const found = await findQemuBinary({
      env: { BPLAB_QEMU: "/bin/sh" },
      patchedBinaryPath: async () => "/bin/true",
    });
    expect(found).toEqual({ path: "/bin/sh", source: "BPLAB_QEMU" });
  });

  it("prefers the patched build over the system QEMU", async () => {
    const found = await findQemuBinary({
      env: {},
      patchedBinaryPath: async () => "/bin/true",
      systemPath: "/bin/sh",
    });
    expect(found).toEqual({ path: "/bin/true", source: "@bplab/qemu-patches" });
  });

  it("falls back to the system QEMU", async () => {
    const found = await findQemuBinary({ env: {}, patchedBinaryPath: none, systemPath: "/bin/sh" });
    expect(found).toEqual({ path: "/bin/sh", source: "system" });
  });

  it("names the exact build command when no binary exists", async () => {
    const error = await findQemuBinary({ env: {}, patchedBinaryPath: none, systemPath: MISSING }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(QemuNotFoundError);
    expect(error).toMatchObject({ code: "QEMU_NOT_FOUND", buildCommand: QEMU_BUILD_COMMAND });
    expect((error as Error).message).toContain(QEMU_BUILD_COMMAND);
    expect((error as Error).message).toContain(MISSING);
  });

  it("does not fall back when BPLAB_QEMU names a missing file", async () => {
    await expect(
      findQemuBinary({ env: { BPLAB_QEMU: MISSING }, patchedBinaryPath: none, systemPath: "/bin/sh" }),
    ).rejects.toThrow(/BPLAB_QEMU, not an executable file/);
  });
});

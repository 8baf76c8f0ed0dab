import { qemuBinaryPath } from "@bplab/qemu-patches";
import { describe, expect, it } from "vitest";
import { QemuNotFoundError } from "../src/errors.js";
import {
  findQemuBinary,
  findUnpatchedQemuBinary,
  patchedQemuPath,
  QEMU_BUILD_COMMAND,
  UNPATCHED_QEMU_BUILD_COMMAND,
} from "../src/find-qemu.js";

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

describe("findUnpatchedQemuBinary", () => {
  it("prefers the explicit binary, then BPLAB_QEMU_UNPATCHED, then the unpatched build", async () => {
    const built = async () => "/bin/true";
    const env = { BPLAB_QEMU_UNPATCHED: "/bin/sh", BPLAB_QEMU: "/bin/false" };
    expect(await findUnpatchedQemuBinary({ binary: "/bin/true", env, unpatchedBinaryPath: built })).toEqual({
      path: "/bin/true",
      source: "option",
    });
    expect(await findUnpatchedQemuBinary({ env, unpatchedBinaryPath: built })).toEqual({
      path: "/bin/sh",
      source: "BPLAB_QEMU_UNPATCHED",
    });
    expect(await findUnpatchedQemuBinary({ env: {}, unpatchedBinaryPath: built })).toEqual({
      path: "/bin/true",
      source: "@bplab/qemu-patches --unpatched",
    });
  });

  it("never takes BPLAB_QEMU or the system QEMU, and names the unpatched build command", async () => {
    const error = await findUnpatchedQemuBinary({
      env: { BPLAB_QEMU: "/bin/sh" },
      unpatchedBinaryPath: none,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(QemuNotFoundError);
    expect(error).toMatchObject({ code: "QEMU_NOT_FOUND", buildCommand: UNPATCHED_QEMU_BUILD_COMMAND });
    expect((error as Error).message).toMatch(/^no unpatched QEMU 10\.2\.2 found/);
    expect((error as Error).message).toContain(`Build it with: ${QEMU_BUILD_COMMAND} --unpatched`);
    expect((error as Error).message).not.toContain("patched QEMU with");
  });

  it("does not fall back when BPLAB_QEMU_UNPATCHED names a missing file", async () => {
    await expect(
      findUnpatchedQemuBinary({
        env: { BPLAB_QEMU_UNPATCHED: MISSING },
        unpatchedBinaryPath: async () => "/bin/true",
      }),
    ).rejects.toThrow(/BPLAB_QEMU_UNPATCHED, not an executable file/);
  });
});

describe("findUnpatchedQemuBinary through @bplab/qemu-patches", () => {
  const built = (() => {
    try {
      return qemuBinaryPath({ unpatched: true });
    } catch (error) {
      console.warn(`[qtest] skipping the real unpatched-QEMU lookup: ${(error as Error).message}`);
      return undefined;
    }
  })();

  it.skipIf(!built)("finds the unpatched build, a binary other than the patched one", async () => {
    const found = await findUnpatchedQemuBinary({ env: {} });
    expect(found).toEqual({ path: built, source: "@bplab/qemu-patches --unpatched" });
    expect(found.path).not.toBe(await patchedQemuPath());
  });
});

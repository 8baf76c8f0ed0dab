/**
 * BPLAB_EFI_APP names a prebuilt app (the lab image sets it: its runtime stage has no compiler and
 * no gnu-efi). Then the lab neither builds the app nor asks for what a build needs; before this,
 * `bplab firmware run` in the image stopped with "not root and missing gcc, binutils".
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CommandRunner } from "@bplab/node-kit";
import { describe, expect, it } from "vitest";
import { buildEfiApp, EFI_APP_ENV, prebuiltEfiApp } from "../src/efi-build.js";
import { hostPackages, hostRequirements } from "../src/host-tools.js";
import { fileTempDir } from "./helpers/temp-dir.js";

const tempDir = fileTempDir("bplab-fw-prebuilt-");

describe("a prebuilt EFI app (BPLAB_EFI_APP)", () => {
  it("drops gnu-efi, gcc and binutils from the host requirements, keeps mtools and OVMF", () => {
    const packages = hostPackages(hostRequirements({ [EFI_APP_ENV]: "/opt/app.efi" }));
    expect(packages).not.toContain("gcc");
    expect(packages).not.toContain("binutils");
    expect(packages).not.toContain("gnu-efi");
    expect(packages).toContain("mtools");
    expect(hostPackages(hostRequirements({}))).toEqual(expect.arrayContaining(["gcc", "binutils"]));
  });

  it("is booted as it is: buildEfiApp runs no build step", async () => {
    const app = join(await tempDir(), "mine.efi");
    await writeFile(app, "MZ a prebuilt app");
    const ran: string[] = [];
    const runner: CommandRunner = async (command) => {
      ran.push(command);
      return { exitCode: 0, stdout: "", stderr: "", tail: "" };
    };
    const built = await buildEfiApp({ env: { [EFI_APP_ENV]: app }, runner });
    expect(built).toMatchObject({ path: app, cached: true });
    expect(built.key).toMatch(/^[0-9a-f]{16}$/);
    expect(ran).toEqual([]);
  });

  it("refuses a path that does not exist, naming the variable", () => {
    expect(() => prebuiltEfiApp({ [EFI_APP_ENV]: "/nonexistent/app.efi" })).toThrow(
      expect.objectContaining({ code: "FIRMWARE_BAD_OPTION", message: expect.stringContaining(EFI_APP_ENV) }),
    );
  });
});

/**
 * The EFI app's build commands come from efi/build-recipe.json under a gnu-efi prefix: Debian's
 * /usr by default, BPLAB_GNU_EFI (the Nix shell's gnu-efi) when set. nix/efi-app.nix derives the
 * same commands from the same file (scripts/test/nix-flake.test.mjs compares the two).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CommandRunner } from "@bplab/node-kit";
import { describe, expect, it } from "vitest";
import {
  buildEfiApp,
  DEBIAN_GNU_EFI_PREFIX,
  EFI_BUILD_RECIPE,
  efiBuildCommands,
  efiSourceDir,
  GNU_EFI_ENV,
  gnuEfiPrefix,
} from "../src/efi-build.js";
import { hostPackages, hostRequirements } from "../src/host-tools.js";
import { fileTempDir } from "./helpers/temp-dir.js";

const tempDir = fileTempDir("bplab-fw-efi-build-");

describe("the EFI app's build recipe", () => {
  it("on Debian it is the gnu-efi recipe the lab has always run (a changed flag shows here)", () => {
    const [gcc, , ld, objcopy] = efiBuildCommands({
      prefix: DEBIAN_GNU_EFI_PREFIX,
      sourceDir: "/src",
      sources: ["bpfw.c", "nvme.c"],
      workDir: "/w",
    });
    expect(gcc).toEqual({
      command: "gcc",
      args: [
        ...["-I/usr/include/efi", "-I/usr/include/efi/x86_64", "-std=gnu11", "-O2", "-Wall", "-Werror"],
        ...["-fpic", "-ffreestanding", "-fno-stack-protector", "-fno-stack-check", "-fshort-wchar"],
        ...["-mno-red-zone", "-maccumulate-outgoing-args", "-DGNU_EFI_USE_MS_ABI", "-DEFI_FUNCTION_WRAPPER"],
        ...["-c", "/src/bpfw.c", "-o", "/w/bpfw.o"],
      ],
    });
    expect(ld).toEqual({
      command: "ld",
      args: [
        ...["-shared", "-Bsymbolic", "-nostdlib", "-znocombreloc", "-L/usr/lib"],
        ...["-T", "/usr/lib/elf_x86_64_efi.lds", "/usr/lib/crt0-efi-x86_64.o", "/w/bpfw.o", "/w/nvme.o"],
        ...["-o", "/w/bpfw.so", "-lefi", "-lgnuefi"],
      ],
    });
    expect(objcopy?.args.slice(-5)).toEqual([
      "--target",
      "efi-app-x86_64",
      "--subsystem=10",
      "/w/bpfw.so",
      "/w/bpfw.efi",
    ]);
    expect(objcopy?.args.filter((arg) => arg !== "-j").slice(0, 10)).toEqual(EFI_BUILD_RECIPE.peSections);
  });

  it("BPLAB_GNU_EFI moves every gnu-efi path to that prefix and no longer asks apt for gnu-efi", () => {
    const prefix = "/nix/store/abc-gnu-efi-3.0.18";
    expect(gnuEfiPrefix({ [GNU_EFI_ENV]: prefix })).toBe(prefix);
    expect(gnuEfiPrefix({})).toBe("/usr");
    const all = efiBuildCommands({ prefix, sourceDir: "/src", sources: ["bpfw.c"], workDir: "/w" })
      .flatMap((step) => step.args)
      .join(" ");
    expect(all).toContain(`-I${prefix}/include/efi/x86_64`);
    expect(all).toContain(
      `-L${prefix}/lib -T ${prefix}/lib/elf_x86_64_efi.lds ${prefix}/lib/crt0-efi-x86_64.o`,
    );
    expect(all).not.toMatch(/(^|[ IL])\/usr\//);
    expect(hostPackages(hostRequirements({ [GNU_EFI_ENV]: prefix }))).not.toContain("gnu-efi");
    expect(hostPackages(hostRequirements({}))).toContain("gnu-efi");
  });

  it("buildEfiApp runs exactly those commands against the prefix's gnu-efi files", async () => {
    const prefix = join(tempDir(), "gnu-efi");
    await mkdir(join(prefix, "lib"), { recursive: true });
    for (const file of [
      EFI_BUILD_RECIPE.gnuEfi.crt0,
      EFI_BUILD_RECIPE.gnuEfi.linkerScript,
      ...EFI_BUILD_RECIPE.gnuEfi.libraries,
    ]) {
      await writeFile(join(prefix, file), file);
    }
    const seen: Array<{ command: string; args: readonly string[] }> = [];
    const runner: CommandRunner = async (command, args) => {
      seen.push({ command, args });
      // objcopy's output is what gets published.
      if (command === "objcopy") await writeFile(args.at(-1) as string, "MZ");
      return { exitCode: 0, stdout: "", stderr: "", tail: "" };
    };
    const build = await buildEfiApp({ cacheDir: join(tempDir(), "cache"), gnuEfiPrefix: prefix, runner });
    expect(build.cached).toBe(false);
    expect(await readFile(build.path, "utf8")).toBe("MZ");
    const firstOutput = seen[0]?.args.at(-1) ?? "";
    const workDir = firstOutput.replace(/\/[^/]+$/, "");
    expect(workDir).not.toBe("");
    expect(seen).toEqual(
      efiBuildCommands({ prefix, sourceDir: efiSourceDir(), sources: ["bpfw.c", "nvme.c"], workDir }),
    );
  });
});

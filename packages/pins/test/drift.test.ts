// Every copy of a pinned value outside pins.json must agree with it. Copies that cannot read
// pins.json themselves (package.json fields) are compared here; modules that can read it must not
// keep a literal copy of their own.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { packageManagerField, pins } from "../src/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const readText = (path: string) => readFileSync(join(root, path), "utf8");

describe("the root package.json agrees with pins.json", () => {
  const manifest = JSON.parse(readText("package.json")) as {
    packageManager?: string;
    engines?: { node?: string };
  };

  it("packageManager is the pinned pnpm", () => {
    expect(manifest.packageManager).toBe(packageManagerField());
  });

  it("engines.node is the pinned Node range", () => {
    expect(manifest.engines?.node).toBe(pins.node.engines);
  });
});

// The TypeScript modules that used to keep their own copy of a pin, and the pins they now read.
const readers: [string, string, [string, string][]][] = [
  [
    "@bplab/qemu-patches",
    "packages/qemu-patches/src/pins.ts",
    [
      ["the QEMU version", pins.qemu.version],
      ["the Debian source version", pins.qemu.debianSourceVersion],
      ["the tarball's sha256", pins.qemu.origTarballSha256],
    ],
  ],
  [
    "@bplab/lab",
    "packages/lab/src/guest-image.ts",
    [
      ["the kernel package", pins.kernel.debianPackage],
      ["the nvme-cli package", pins.nvmeCli.debianPackage],
    ],
  ],
  [
    "@bplab/firmware",
    "packages/firmware/src/host-tools.ts",
    [
      ["the gnu-efi package", pins.gnuEfi.debianPackage],
      ["the OVMF package", pins.ovmf.debianPackage],
    ],
  ],
];

describe.each(readers)("%s (%s) reads its pins instead of copying them", (_pkg, file, copies) => {
  const source = readText(file);

  it("imports @bplab/pins", () => {
    expect(source).toMatch(/from "@bplab\/pins"/);
  });

  it.each(copies)("holds no literal copy of %s", (_what, value) => {
    expect(source).not.toContain(`"${value}"`);
  });
});

describe("flake.nix reads pins.json instead of copying it", () => {
  const nixSources = ["flake.nix", "nix/pins.nix", "nix/lab.nix", "nix/devshell.nix", "nix/checks.nix"].map(
    (path) => [path, readText(path)] as const,
  );

  it("flake.nix loads packages/pins/pins.json", () => {
    expect(readText("flake.nix")).toContain("./packages/pins/pins.json");
  });

  it.each(nixSources)("%s holds no pinned version or hash", (_path, text) => {
    for (const value of [
      pins.qemu.version,
      pins.qemu.origTarballSha256,
      pins.pnpm.version,
      `nodejs_${pins.node.major}`,
      `pnpm_${pins.pnpm.version.split(".")[0]}`,
    ]) {
      expect(text).not.toContain(value);
    }
  });
});

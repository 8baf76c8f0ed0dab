// The offline checks of flake.nix and nix/ (docs/nix.md): syntax of every .nix file, then
// `nix flake check --no-build` / `nix flake show` / `nix eval` against the stub nixpkgs in
// nix/tests/stub-nixpkgs. The stub is only useful if it rejects mistakes, so copies of the flake
// with one mistake each must fail. Needs nix: as root on Debian the setup installs nix-bin;
// elsewhere the suite skips and says why.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ensureNix,
  evalJson,
  makeFlakeCopy,
  nixEnvironment,
  nixFiles,
  nixWithStub,
  parseNix,
  repoRoot,
  storeWritable,
} from "../../nix/tests/offline.mjs";

const { aptEnvironment } = await import("../../packages/qemu-patches/dist/index.js");
const { SOURCE_FIXUPS } = await import("../../packages/qemu-patches/dist/pins.js");
const { pins } = await import("../../packages/pins/dist/index.js");
const { efiBuildCommands } = await import("../../packages/firmware/dist/index.js");

const home = mkdtempSync(join(tmpdir(), "bplab-nix-home-"));
const env = nixEnvironment(home);
const nix = ensureNix({ env, aptEnv: aptEnvironment(process.env) });
const store = nix.ok ? storeWritable() : nix;
if (!nix.ok) console.warn(`nix offline checks skipped: ${nix.reason}`);
else if (!store.ok) console.warn(`nix flake checks skipped: ${store.reason}`);

const copies = [];
afterAll(() => {
  for (const copy of copies) copy.remove();
  rmSync(home, { recursive: true, force: true });
});

/** A git copy of the flake, optionally with `file` edited by `change(text)`. */
function flakeCopy(file = undefined, change = undefined) {
  const copy = makeFlakeCopy(repoRoot, (dir) => {
    if (!file) return;
    const path = join(dir, file);
    const before = readFileSync(path, "utf8");
    const after = change(before);
    if (after === before) throw new Error(`the mutation of ${file} changed nothing`);
    writeFileSync(path, after);
  });
  copies.push(copy);
  return copy.dir;
}

const replaceOnce = (from, to) => (text) => text.replace(from, to);

describe.skipIf(!nix.ok)("nix-instantiate --parse", () => {
  it.each(nixFiles().map((file) => [file.slice(repoRoot.length + 1), file]))("%s parses", (_name, file) => {
    const r = parseNix(file, env);
    expect(r.stderr).not.toContain("error");
    expect(r.ok).toBe(true);
  });

  it("rejects a syntax error (the check is not a no-op)", () => {
    const dir = flakeCopy("flake.nix", replaceOnce("outputs =", "outputs = {"));
    const r = parseNix(join(dir, "flake.nix"), env);
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/syntax error/);
  });
});

describe.skipIf(!nix.ok || !store.ok)("the flake against the stub nixpkgs", () => {
  const pristine = () => flakeCopy();

  it("nix flake check --no-build passes", () => {
    const r = nixWithStub(pristine(), ["flake", "check", "--no-build"], env);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.ok).toBe(true);
  });

  it("nix flake show lists the packages, the shell and the checks", () => {
    const r = nixWithStub(pristine(), ["flake", "show", "--json"], env);
    expect(r.ok).toBe(true);
    const outputs = JSON.parse(r.stdout);
    expect(Object.keys(outputs.packages["x86_64-linux"]).sort()).toEqual([
      "bplab-efi-app",
      "default",
      "ovmf",
      "qemu-bplab",
    ]);
    expect(Object.keys(outputs.devShells["x86_64-linux"])).toEqual(["default"]);
    expect(Object.keys(outputs.checks["x86_64-linux"]).sort()).toEqual([
      "bplab-efi-app",
      "bplab-efi-app-pe",
      "devshell",
      "ovmf",
      "qemu-bplab",
      "qemu-bplab-smoke",
    ]);
  });

  it("builds qemu-bplab from the pinned tarball, hash and series", () => {
    const dir = pristine();
    const qemu = "packages.x86_64-linux.qemu-bplab";
    expect(evalJson(dir, `${qemu}.version`, env)).toBe(pins.qemu.version);
    expect(evalJson(dir, `${qemu}.src.outputHash`, env)).toBe(pins.qemu.origTarballSha256);
    expect(evalJson(dir, `${qemu}.src.url`, env)).toBe(
      `mirror://debian/pool/main/q/qemu/${pins.qemu.origTarball}`,
    );
    const series = readFileSync(join(repoRoot, "packages/qemu-patches/patches/series"), "utf8")
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"));
    expect(evalJson(dir, `${qemu}.bplab.seriesNames`, env)).toEqual(series);
    expect(evalJson(dir, `${qemu}.patches`, env, "map baseNameOf")).toEqual(series);
  });

  it("links the firmware blobs the +ds build lacks from nixpkgs' stock QEMU", () => {
    const postInstall = evalJson(pristine(), "packages.x86_64-linux.qemu-bplab.postInstall", env);
    // the stub's stock qemu is "qemu-0-stub"; the patched one is qemu-bplab
    expect(postInstall).toMatch(/\/nix\/store\/[a-z0-9]+-qemu-0-stub\/share\/qemu\/\*/);
  });

  it("applies the same +ds source fixups as @bplab/qemu-patches", () => {
    expect(evalJson(pristine(), "packages.x86_64-linux.qemu-bplab.bplab.sourceFixups", env)).toEqual(
      SOURCE_FIXUPS.map(({ file, from, to }) => ({ file, from, to })),
    );
  });

  // What @bplab/firmware's pnpm build would run against the same gnu-efi prefix and sources.
  const efiApp = "packages.x86_64-linux.bplab-efi-app";
  const typeScriptCommands = (nixSide) =>
    efiBuildCommands({
      prefix: nixSide.gnuEfiPrefix,
      sourceDir: nixSide.sourceDir,
      sources: readdirSync(join(repoRoot, "packages/firmware/efi"))
        .filter((name) => name.endsWith(".c"))
        .sort(),
      workDir: nixSide.workDir,
    });

  it("builds bplab-efi-app with exactly the commands of @bplab/firmware's pnpm build", () => {
    const dir = pristine();
    const nixSide = evalJson(dir, `${efiApp}.bplab`, env);
    expect(nixSide.gnuEfiPrefix).toMatch(/^\/nix\/store\/[a-z0-9]+-gnu-efi$/);
    expect(nixSide.commands.map((c) => c.command)).toEqual(["gcc", "gcc", "ld", "objcopy"]);
    expect(nixSide.commands).toEqual(typeScriptCommands(nixSide));
    // The build phase runs those commands; no cc-wrapper hardening adds flags to them.
    expect(evalJson(dir, `${efiApp}.hardeningDisable`, env)).toEqual(["all"]);
    const buildPhase = evalJson(dir, `${efiApp}.buildPhase`, env);
    for (const step of nixSide.commands) expect(buildPhase).toContain(`${step.command} '${step.args[0]}'`);
    expect(evalJson(dir, `${efiApp}.version`, env)).toBe(
      JSON.parse(readFileSync(join(repoRoot, "packages/firmware/package.json"), "utf8")).version,
    );
  });

  it("the comparison catches a Nix recipe that drifts from the TypeScript one", () => {
    const dir = flakeCopy(
      "nix/efi-app.nix",
      replaceOnce("++ recipe.linkLibraries;", '++ [ "-lgnuefi" "-lefi" ];'),
    );
    const nixSide = evalJson(dir, `${efiApp}.bplab`, env);
    expect(nixSide.commands).not.toEqual(typeScriptCommands(nixSide));
  });

  it("the shell points @bplab/firmware at nixpkgs' OVMF and gnu-efi", () => {
    const dir = pristine();
    const shell = "devShells.x86_64-linux.default";
    expect(evalJson(dir, `${shell}.BPLAB_OVMF_CODE`, env)).toMatch(/-OVMF-fd\/FV\/OVMF_CODE\.fd$/);
    expect(evalJson(dir, `${shell}.BPLAB_OVMF_VARS`, env)).toMatch(/-OVMF-fd\/FV\/OVMF_VARS\.fd$/);
    expect(evalJson(dir, `${shell}.BPLAB_GNU_EFI`, env)).toBe(
      evalJson(dir, `${efiApp}.bplab.gnuEfiPrefix`, env),
    );
    expect(evalJson(dir, `${shell}.hardeningDisable`, env)).toEqual(["all"]);
  });

  it("the shell has the pinned Node and pnpm majors and points BPLAB_QEMU at the Nix QEMU", () => {
    const dir = pristine();
    const shell = "devShells.x86_64-linux.default";
    const names = evalJson(dir, `${shell}.packages`, env, "map (p: p.name)");
    expect(names).toContain(`nodejs-${pins.node.major}`);
    expect(names).toContain(`pnpm-${pins.pnpm.version.split(".")[0]}`);
    for (const tool of ["nvme-cli", "gnu-efi", "mtools", "OVMF-fd", "qemu-bplab-10.2.2", "meson", "ninja"]) {
      expect(names).toContain(tool.replace("10.2.2", pins.qemu.version));
    }
    expect(evalJson(dir, `${shell}.BPLAB_QEMU`, env)).toMatch(/-qemu-bplab-[^/]+\/bin\/qemu-system-x86_64$/);
  });

  // Each copy carries one mistake; the stub must turn every one into a failed check.
  const mistakes = [
    [
      "a misspelt nixpkgs attribute in the shell",
      "nix/devshell.nix",
      replaceOnce("pkgs.mtools", "pkgs.mtoolz"),
      /attribute 'mtoolz' missing/,
    ],
    [
      "a misspelt nixpkgs output in flake.nix",
      "flake.nix",
      replaceOnce("nixpkgs.legacyPackages", "nixpkgs.legacyPackage"),
      /attribute 'legacyPackage' missing/,
    ],
    [
      "a misspelt attribute name in pins.json",
      "packages/pins/pins.json",
      replaceOnce('"nixAttribute": "nvme-cli"', '"nixAttribute": "nvme-clii"'),
      /attribute 'nvme-clii' missing/,
    ],
    [
      "a misspelt stdenv function in the EFI app's package",
      "nix/efi-app.nix",
      replaceOnce("pkgs.stdenv.mkDerivation", "pkgs.stdenv.mkDerivaton"),
      /attribute 'mkDerivaton' missing/,
    ],
    [
      "a misspelt gnu-efi attribute name in pins.json",
      "packages/pins/pins.json",
      replaceOnce('"nixAttribute": "gnu-efi"', '"nixAttribute": "gnu-efy"'),
      /attribute 'gnu-efy' missing/,
    ],
    [
      "an EFI recipe key the Nix package reads but the recipe lacks",
      "packages/firmware/efi/build-recipe.json",
      replaceOnce('"linkLibraries"', '"linkLibs"'),
      /attribute 'linkLibraries' missing/,
    ],
    [
      "an argument nixpkgs' qemu does not take",
      "nix/lab.nix",
      replaceOnce("hostCpuTargets =", "hostCpuTarget ="),
      /unknown argument\(s\) hostCpuTarget/,
    ],
    [
      "a patch the series names but the tree lacks",
      "packages/qemu-patches/patches/series",
      (t) => `${t}9999-missing.patch\n`,
      /9999-missing\.patch/,
    ],
    [
      "a sha256 that is not a sha256",
      "packages/pins/pins.json",
      replaceOnce(/"origTarballSha256": "[0-9a-f]{8}/, '"origTarballSha256": "zzzzzzzz'),
      /origTarballSha256/,
    ],
    [
      "a tarball of another release",
      "packages/pins/pins.json",
      replaceOnce(/"origTarball": "qemu_[^"]+"/, '"origTarball": "qemu_0.0.1+ds.orig.tar.xz"'),
      /is not the \+ds orig tarball/,
    ],
  ];
  it.each(mistakes)("nix flake check fails on %s", (_what, file, change, message) => {
    const r = nixWithStub(flakeCopy(file, change), ["flake", "check", "--no-build"], env);
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(message);
  });
});

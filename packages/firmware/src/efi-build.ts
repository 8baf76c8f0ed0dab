/**
 * Builds the EFI application (efi/*.c) with gnu-efi (Debian's 3.0.15, or the one BPLAB_GNU_EFI
 * names, as the Nix shell does) and caches it by content hash under
 * `<cache>/firmware/<hash>/bpfw.efi`: the hash covers the sources, the compiler flags and the
 * gnu-efi files the link uses, so a changed source or an upgraded gnu-efi gives a new build.
 *
 * The steps and flags live in efi/build-recipe.json, which nix/efi-app.nix reads too
 * (`packages.bplab-efi-app`); scripts/test/nix-flake.test.mjs compares the commands both derive.
 * The flags follow gnu-efi's own recipe. GNU_EFI_USE_MS_ABI makes protocol calls ms_abi; efi_main
 * itself stays SysV because gnu-efi 3.0.15's crt0 calls it that way (an EFIAPI efi_main crashes).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CommandRunner, runChecked, runCommand } from "@bplab/node-kit";
import { cacheRoot } from "@bplab/qemu-patches";
import { FirmwareBadOptionError, FirmwareBuildError } from "./errors.js";

/** efi/build-recipe.json: gnu-efi paths are relative to its prefix. */
export interface EfiBuildRecipe {
  readonly revision: number;
  readonly output: string;
  readonly gnuEfi: {
    readonly includeDirs: readonly string[];
    readonly libDir: string;
    readonly crt0: string;
    readonly linkerScript: string;
    readonly libraries: readonly string[];
  };
  readonly cflags: readonly string[];
  readonly linkFlags: readonly string[];
  readonly linkLibraries: readonly string[];
  readonly peSections: readonly string[];
  readonly objcopyFlags: readonly string[];
}

export const EFI_BUILD_RECIPE: EfiBuildRecipe = JSON.parse(
  readFileSync(new URL("../efi/build-recipe.json", import.meta.url), "utf8"),
);
/** The gnu-efi install prefix to build against instead of Debian's /usr (set by `nix develop`). */
export const GNU_EFI_ENV = "BPLAB_GNU_EFI";
export const DEBIAN_GNU_EFI_PREFIX = "/usr";

export function gnuEfiPrefix(env: NodeJS.ProcessEnv = process.env): string {
  return env[GNU_EFI_ENV] || DEBIAN_GNU_EFI_PREFIX;
}

/** The gnu-efi files and flags of the recipe under one prefix. */
export function gnuEfiLayout(prefix: string, recipe = EFI_BUILD_RECIPE) {
  const at = (path: string) => `${prefix}/${path}`;
  return {
    crt0: at(recipe.gnuEfi.crt0),
    linkerScript: at(recipe.gnuEfi.linkerScript),
    libraries: recipe.gnuEfi.libraries.map(at),
    cflags: [...recipe.gnuEfi.includeDirs.map((dir) => `-I${at(dir)}`), ...recipe.cflags],
    linkFlags: [...recipe.linkFlags, `-L${at(recipe.gnuEfi.libDir)}`],
  };
}

export const EFI_APP_FILE = EFI_BUILD_RECIPE.output;
const DEBIAN_LAYOUT = gnuEfiLayout(DEBIAN_GNU_EFI_PREFIX);
export const GNU_EFI_CRT0 = DEBIAN_LAYOUT.crt0;
export const GNU_EFI_LINKER_SCRIPT = DEBIAN_LAYOUT.linkerScript;
/** Debian's compiler flags (the include directories under /usr first). */
export const EFI_CFLAGS: readonly string[] = Object.freeze(DEBIAN_LAYOUT.cflags);

export interface EfiBuildCommand {
  readonly command: "gcc" | "ld" | "objcopy";
  readonly args: readonly string[];
}

/**
 * Every command of one build, in order: gcc per C source (sorted), ld against gnu-efi's crt0 and
 * linker script, objcopy to a PE32+ EFI application at `<workDir>/<output>`.
 */
export function efiBuildCommands(options: {
  prefix: string;
  sourceDir: string;
  /** The C file names, sorted. */
  sources: readonly string[];
  workDir: string;
  recipe?: EfiBuildRecipe;
}): EfiBuildCommand[] {
  const recipe = options.recipe ?? EFI_BUILD_RECIPE;
  const layout = gnuEfiLayout(options.prefix, recipe);
  const objects = options.sources.map((name) => join(options.workDir, name.replace(/\.c$/, ".o")));
  const shared = join(options.workDir, "bpfw.so");
  return [
    ...options.sources.map((name, index) => ({
      command: "gcc" as const,
      args: [...layout.cflags, "-c", join(options.sourceDir, name), "-o", objects[index] as string],
    })),
    {
      command: "ld",
      args: [
        ...layout.linkFlags,
        ...["-T", layout.linkerScript, layout.crt0],
        ...objects,
        ...["-o", shared],
        ...recipe.linkLibraries,
      ],
    },
    {
      command: "objcopy",
      args: [
        ...recipe.peSections.flatMap((section) => ["-j", section]),
        ...recipe.objcopyFlags,
        shared,
        join(options.workDir, recipe.output),
      ],
    },
  ];
}

/** The C sources shipped with the package (efi/ next to dist/). */
export function efiSourceDir(): string {
  return fileURLToPath(new URL("../efi/", import.meta.url));
}

export function firmwareCacheDir(cacheDir?: string): string {
  return join(cacheRoot(cacheDir === undefined ? {} : { cacheDir }), "firmware");
}

export interface EfiAppBuild {
  readonly path: string;
  readonly key: string;
  readonly cached: boolean;
}

async function sourceFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => /\.(c|h)$/.test(name)).sort();
}

/** The content hash of everything that decides the binary. */
export async function efiAppKey(sourceDir = efiSourceDir(), prefix = gnuEfiPrefix()): Promise<string> {
  const layout = gnuEfiLayout(prefix);
  const hash = createHash("sha256");
  hash.update(
    `recipe ${EFI_BUILD_RECIPE.revision}\n${layout.cflags.join(" ")}\n${layout.linkFlags.join(" ")}\n`,
  );
  for (const name of await sourceFiles(sourceDir)) {
    hash.update(`${name}\n`);
    hash.update(await readFile(join(sourceDir, name)));
  }
  for (const file of [layout.crt0, layout.linkerScript, ...layout.libraries]) {
    if (!existsSync(file))
      throw new FirmwareBuildError(
        `${file} is missing: install the Debian package gnu-efi (or point ${GNU_EFI_ENV} at a gnu-efi prefix)`,
      );
    hash.update(await readFile(file));
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * A prebuilt app to boot instead of building one, like BPLAB_QEMU for QEMU: the lab image sets it
 * (its runtime stage has no compiler and no gnu-efi, so it can neither build the app nor compute
 * the build's cache key), and a firmware team can point it at its own build.
 */
export const EFI_APP_ENV = "BPLAB_EFI_APP";

/** The app BPLAB_EFI_APP names, or undefined when it is unset; a set path must exist. */
export function prebuiltEfiApp(env: NodeJS.ProcessEnv = process.env): EfiAppBuild | undefined {
  const path = env[EFI_APP_ENV] || undefined;
  if (path === undefined) return undefined;
  if (!existsSync(path))
    throw new FirmwareBadOptionError(EFI_APP_ENV, "names a file that does not exist", path);
  const key = createHash("sha256").update(readFileSync(path)).digest("hex").slice(0, 16);
  return { path, key, cached: true };
}

export interface BuildEfiAppOptions {
  /** Read for BPLAB_EFI_APP and BPLAB_GNU_EFI; default process.env. */
  env?: NodeJS.ProcessEnv;
  cacheDir?: string;
  sourceDir?: string;
  /** The gnu-efi prefix; default gnuEfiPrefix() (BPLAB_GNU_EFI, else /usr). */
  gnuEfiPrefix?: string;
  runner?: CommandRunner;
}

/**
 * The app BPLAB_EFI_APP names, else the cached bpfw.efi for the current sources, built (about
 * 1 s) when missing.
 */
export async function buildEfiApp(options: BuildEfiAppOptions = {}): Promise<EfiAppBuild> {
  const env = options.env ?? process.env;
  const prebuilt = prebuiltEfiApp(env);
  if (prebuilt) return prebuilt;
  const sourceDir = options.sourceDir ?? efiSourceDir();
  const runner = options.runner ?? runCommand;
  const prefix = options.gnuEfiPrefix ?? gnuEfiPrefix(env);
  const key = await efiAppKey(sourceDir, prefix);
  const dir = join(firmwareCacheDir(options.cacheDir), key);
  const path = join(dir, EFI_APP_FILE);
  if (existsSync(path)) return { path, key, cached: true };
  await mkdir(firmwareCacheDir(options.cacheDir), { recursive: true });
  const work = await mkdtemp(join(firmwareCacheDir(options.cacheDir), `.build-${key}-`));
  try {
    const sources = (await sourceFiles(sourceDir)).filter((file) => file.endsWith(".c"));
    for (const step of efiBuildCommands({ prefix, sourceDir, sources, workDir: work })) {
      await runChecked(runner, step.command, step.args, { failureCode: "FIRMWARE_BUILD" });
    }
    // Only the application is published: objects and the ELF stay behind.
    for (const name of await readdir(work)) if (name !== EFI_APP_FILE) await rm(join(work, name));
    // Atomic publish: a concurrent build of the same key loses the rename and uses the winner's.
    await rename(work, dir).catch(async (error: NodeJS.ErrnoException) => {
      if (!existsSync(path))
        throw new FirmwareBuildError(`cannot publish ${dir}: ${error.message}`, { cause: error });
    });
    return { path, key, cached: false };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Builds the EFI application (efi/*.c) with Debian's gnu-efi 3.0.15 and caches it by content hash
 * under `<cache>/firmware/<hash>/bpfw.efi`: the hash covers the sources, the compiler flags and
 * the gnu-efi files the link uses, so a changed source or an upgraded gnu-efi gives a new build.
 *
 * The flags follow gnu-efi's own recipe. GNU_EFI_USE_MS_ABI makes protocol calls ms_abi; efi_main
 * itself stays SysV because gnu-efi 3.0.15's crt0 calls it that way (an EFIAPI efi_main crashes).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CommandRunner, runChecked, runCommand } from "@bplab/node-kit";
import { cacheRoot } from "@bplab/qemu-patches";
import { FirmwareBuildError } from "./errors.js";

export const EFI_APP_FILE = "bpfw.efi";
export const GNU_EFI_INCLUDE_DIRS = ["/usr/include/efi", "/usr/include/efi/x86_64"];
export const GNU_EFI_CRT0 = "/usr/lib/crt0-efi-x86_64.o";
export const GNU_EFI_LINKER_SCRIPT = "/usr/lib/elf_x86_64_efi.lds";
const GNU_EFI_LIBRARIES = ["/usr/lib/libefi.a", "/usr/lib/libgnuefi.a"];

export const EFI_CFLAGS: readonly string[] = Object.freeze([
  ...GNU_EFI_INCLUDE_DIRS.map((dir) => `-I${dir}`),
  ...["-std=gnu11", "-O2", "-Wall", "-Werror", "-fpic", "-ffreestanding", "-fno-stack-protector"],
  ...["-fno-stack-check", "-fshort-wchar", "-mno-red-zone", "-maccumulate-outgoing-args"],
  ...["-DGNU_EFI_USE_MS_ABI", "-DEFI_FUNCTION_WRAPPER"],
]);
const LINK_FLAGS = ["-shared", "-Bsymbolic", "-nostdlib", "-znocombreloc", "-L/usr/lib"];
const PE_SECTIONS = [
  ".text",
  ".sdata",
  ".data",
  ".dynamic",
  ".dynsym",
  ".rel",
  ".rela",
  ".rel.*",
  ".rela.*",
  ".reloc",
];
/** Bumped when the build steps change in a way the hashed inputs do not show. */
const RECIPE_REVISION = 1;

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
export async function efiAppKey(sourceDir = efiSourceDir()): Promise<string> {
  const hash = createHash("sha256");
  hash.update(`recipe ${RECIPE_REVISION}\n${EFI_CFLAGS.join(" ")}\n${LINK_FLAGS.join(" ")}\n`);
  for (const name of await sourceFiles(sourceDir)) {
    hash.update(`${name}\n`);
    hash.update(await readFile(join(sourceDir, name)));
  }
  for (const file of [GNU_EFI_CRT0, GNU_EFI_LINKER_SCRIPT, ...GNU_EFI_LIBRARIES]) {
    if (!existsSync(file))
      throw new FirmwareBuildError(`${file} is missing: install the Debian package gnu-efi`);
    hash.update(await readFile(file));
  }
  return hash.digest("hex").slice(0, 16);
}

export interface BuildEfiAppOptions {
  cacheDir?: string;
  sourceDir?: string;
  runner?: CommandRunner;
}

/** The cached bpfw.efi for the current sources, built (about 1 s) when missing. */
export async function buildEfiApp(options: BuildEfiAppOptions = {}): Promise<EfiAppBuild> {
  const sourceDir = options.sourceDir ?? efiSourceDir();
  const runner = options.runner ?? runCommand;
  const key = await efiAppKey(sourceDir);
  const dir = join(firmwareCacheDir(options.cacheDir), key);
  const path = join(dir, EFI_APP_FILE);
  if (existsSync(path)) return { path, key, cached: true };
  await mkdir(firmwareCacheDir(options.cacheDir), { recursive: true });
  const work = await mkdtemp(join(firmwareCacheDir(options.cacheDir), `.build-${key}-`));
  const failureCode = "FIRMWARE_BUILD";
  try {
    const objects: string[] = [];
    for (const name of (await sourceFiles(sourceDir)).filter((file) => file.endsWith(".c"))) {
      const object = join(work, name.replace(/\.c$/, ".o"));
      await runChecked(runner, "gcc", [...EFI_CFLAGS, "-c", join(sourceDir, name), "-o", object], {
        failureCode,
      });
      objects.push(object);
    }
    const shared = join(work, "bpfw.so");
    await runChecked(
      runner,
      "ld",
      [
        ...LINK_FLAGS,
        "-T",
        GNU_EFI_LINKER_SCRIPT,
        GNU_EFI_CRT0,
        ...objects,
        "-o",
        shared,
        "-lefi",
        "-lgnuefi",
      ],
      { failureCode },
    );
    const sections = PE_SECTIONS.flatMap((section) => ["-j", section]);
    await runChecked(
      runner,
      "objcopy",
      [...sections, "--target", "efi-app-x86_64", "--subsystem=10", shared, join(work, EFI_APP_FILE)],
      { failureCode },
    );
    await rm(join(work, "bpfw.so"));
    for (const object of objects) await rm(object);
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

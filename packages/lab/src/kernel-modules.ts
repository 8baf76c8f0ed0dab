/**
 * Which kernel modules the guest must `insmod`, and in which order. Debian builds the NVMe driver
 * as modules (CONFIG_BLK_DEV_NVME=m) and its .deb ships no modules.dep, so the order comes from
 * each module's own .modinfo: hard dependencies (`depends=`) and soft pre-dependencies
 * (`softdep=pre: ...`, which may name an alias such as "crct10dif"), loaded before the module.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { readModinfo } from "./elf-modinfo.js";
import { GuestBuildError } from "./errors.js";

export interface KernelModuleInfo {
  /** Canonical name: '-' replaced by '_', as the kernel does ("nvme_core"). */
  readonly name: string;
  /** Path relative to the modules root ("kernel/drivers/nvme/host/nvme.ko"). */
  readonly file: string;
  readonly depends: readonly string[];
  readonly softdepPre: readonly string[];
  readonly aliases: readonly string[];
}

/** The NVMe PCIe driver; everything else it needs follows from the module metadata. */
export const NVME_DRIVER_MODULES: readonly string[] = Object.freeze(["nvme"]);
const MODULE_SUFFIX = ".ko";
const COMPRESSED_SUFFIXES = [".ko.xz", ".ko.zst", ".ko.gz"];
/** A generic C implementation works on any CPU, unlike the accelerated ones (pclmul, avx). */
const GENERIC_SUFFIX = "_generic";

export function canonicalModuleName(name: string): string {
  return name.replaceAll("-", "_");
}

/** "pre: a b post: c" → ["a", "b"]. */
export function parseSoftdepPre(value: string): string[] {
  const names: string[] = [];
  let inPre = false;
  for (const token of value.split(/\s+/).filter(Boolean)) {
    if (token === "pre:") inPre = true;
    else if (token === "post:") inPre = false;
    else if (inPre) names.push(token);
  }
  return names;
}

export function moduleInfoFromModinfo(
  file: string,
  pairs: ReadonlyArray<[string, string]>,
): KernelModuleInfo {
  const values = (key: string) => pairs.filter(([k]) => k === key).map(([, v]) => v);
  const fileName = file.split("/").pop() ?? file;
  const name = values("name")[0] ?? fileName.slice(0, -MODULE_SUFFIX.length);
  return {
    name: canonicalModuleName(name),
    file,
    depends: values("depends")
      .flatMap((list) => list.split(","))
      .filter(Boolean)
      .map(canonicalModuleName),
    softdepPre: values("softdep").flatMap(parseSoftdepPre),
    aliases: values("alias"),
  };
}

/** Reads every module below `root` (a lib/modules/<version> directory). */
export async function scanModuleTree(root: string): Promise<KernelModuleInfo[]> {
  const modules: KernelModuleInfo[] = [];
  const compressed: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith(MODULE_SUFFIX)) {
        const file = relative(root, path);
        modules.push(moduleInfoFromModinfo(file, readModinfo(await readFile(path), file)));
      } else if (COMPRESSED_SUFFIXES.some((suffix) => entry.name.endsWith(suffix)))
        compressed.push(entry.name);
    }
  };
  await walk(root);
  if (modules.length === 0) {
    const why = compressed.length > 0 ? ` (only compressed modules such as ${compressed[0]})` : "";
    throw new GuestBuildError("kernel modules", `no uncompressed .ko module below ${root}${why}`);
  }
  return modules;
}

function pickProvider(candidates: readonly KernelModuleInfo[]): KernelModuleInfo | undefined {
  const sorted = [...candidates].sort((a, b) => a.name.localeCompare(b.name));
  return sorted.find((m) => m.name.endsWith(GENERIC_SUFFIX)) ?? sorted[0];
}

/**
 * The modules to load for `roots`, dependencies first. A hard dependency that is missing is an
 * error; a soft dependency is resolved by module name, then by alias (preferring a *_generic
 * provider), and skipped when nothing provides it (the kernel falls back or asks modprobe).
 */
export function resolveLoadOrder(
  modules: readonly KernelModuleInfo[],
  roots: readonly string[] = NVME_DRIVER_MODULES,
): KernelModuleInfo[] {
  const byName = new Map(modules.map((m) => [m.name, m]));
  const order: KernelModuleInfo[] = [];
  const done = new Set<string>();
  const visiting: string[] = [];

  const byAlias = (alias: string) => pickProvider(modules.filter((m) => m.aliases.includes(alias)));
  const visit = (module: KernelModuleInfo) => {
    if (done.has(module.name)) return;
    if (visiting.includes(module.name)) {
      throw new GuestBuildError(
        "kernel modules",
        `dependency cycle: ${[...visiting, module.name].join(" -> ")}`,
      );
    }
    visiting.push(module.name);
    for (const soft of module.softdepPre) {
      const provider = byName.get(canonicalModuleName(soft)) ?? byAlias(soft);
      if (provider) visit(provider);
    }
    for (const dependency of module.depends) {
      const needed = byName.get(dependency);
      if (!needed) {
        throw new GuestBuildError(
          "kernel modules",
          `${module.name} depends on ${dependency}, which is missing`,
        );
      }
      visit(needed);
    }
    visiting.pop();
    done.add(module.name);
    order.push(module);
  };

  for (const root of roots) {
    const module = byName.get(canonicalModuleName(root));
    if (!module) throw new GuestBuildError("kernel modules", `module ${root} is not in the kernel package`);
    visit(module);
  }
  return order;
}

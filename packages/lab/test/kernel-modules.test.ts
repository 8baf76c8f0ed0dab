import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { elfSection, readModinfo } from "../src/elf-modinfo.js";
import { GuestBuildError } from "../src/errors.js";
import {
  canonicalModuleName,
  type KernelModuleInfo,
  moduleInfoFromModinfo,
  parseSoftdepPre,
  resolveLoadOrder,
  scanModuleTree,
} from "../src/kernel-modules.js";
import { buildElf64, modinfoSection } from "./helpers/elf.js";
import { scratchDirs } from "./helpers/scratch.js";

const module = (name: string, fields: Partial<Omit<KernelModuleInfo, "name">> = {}): KernelModuleInfo => ({
  name,
  file: `kernel/${name}.ko`,
  depends: [],
  softdepPre: [],
  aliases: [],
  ...fields,
});

// The graph of Debian 12's linux-image-6.1.0-56-amd64 below nvme, as its .modinfo sections state it.
const debianNvmeGraph: KernelModuleInfo[] = [
  module("nvme", { depends: ["nvme_core"] }),
  module("nvme_core", { depends: ["t10_pi"] }),
  module("t10_pi", { depends: ["crc_t10dif", "crc64_rocksoft"] }),
  module("crc_t10dif", { depends: ["crct10dif_common"], softdepPre: ["crct10dif"] }),
  module("crc64_rocksoft", { depends: ["crc64"], softdepPre: ["crc64"] }),
  module("crc64"),
  module("crct10dif_common"),
  module("crct10dif_pclmul", { depends: ["crct10dif_common"], aliases: ["crct10dif", "crypto-crct10dif"] }),
  module("crct10dif_generic", { depends: ["crct10dif_common"], aliases: ["crct10dif", "crypto-crct10dif"] }),
  module("nvmet", { depends: ["nvme_core"] }),
];

describe("readModinfo", () => {
  it("reads the key=value strings of the .modinfo section, repeated keys included", () => {
    const elf = buildElf64([
      { name: ".text", data: new Uint8Array(16) },
      {
        name: ".modinfo",
        data: modinfoSection([
          ["alias", "a1"],
          ["depends", "x,y"],
          ["alias", "a2"],
          ["name", "m"],
        ]),
      },
    ]);
    expect(readModinfo(elf)).toEqual([
      ["alias", "a1"],
      ["depends", "x,y"],
      ["alias", "a2"],
      ["name", "m"],
    ]);
    expect(elfSection(elf, ".text")).toEqual(new Uint8Array(16));
    expect(elfSection(elf, ".data")).toBeUndefined();
  });

  it("rejects what is not a 64-bit little-endian ELF module, naming the file", () => {
    expect(() => readModinfo(new TextEncoder().encode("#!/bin/sh\n".repeat(10)), "x.ko")).toThrow(
      /x\.ko: not an ELF file/,
    );
    const elf32 = buildElf64([{ name: ".modinfo", data: modinfoSection([]) }]);
    elf32[4] = 1;
    expect(() => readModinfo(elf32, "y.ko")).toThrow(/not a 64-bit little-endian/);
    expect(() => readModinfo(buildElf64([{ name: ".text", data: new Uint8Array(4) }]), "z.ko")).toThrow(
      /no \.modinfo section/,
    );
  });
});

describe("module metadata", () => {
  it("canonicalises names and splits depends and softdep pre", () => {
    expect(canonicalModuleName("crc64-rocksoft")).toBe("crc64_rocksoft");
    expect(parseSoftdepPre("pre: crct10dif other post: after")).toEqual(["crct10dif", "other"]);
    expect(parseSoftdepPre("post: x")).toEqual([]);
    const info = moduleInfoFromModinfo("kernel/block/t10-pi.ko", [
      ["depends", "crc-t10dif,crc64-rocksoft"],
      ["name", "t10_pi"],
    ]);
    expect(info).toEqual({
      name: "t10_pi",
      file: "kernel/block/t10-pi.ko",
      depends: ["crc_t10dif", "crc64_rocksoft"],
      softdepPre: [],
      aliases: [],
    });
    expect(moduleInfoFromModinfo("kernel/lib/crc64.ko", [["depends", ""]]).name).toBe("crc64");
  });
});

describe("resolveLoadOrder", () => {
  it("orders Debian's nvme graph dependencies first, soft deps by alias to the generic provider", () => {
    expect(resolveLoadOrder(debianNvmeGraph).map((m) => m.name)).toEqual([
      "crct10dif_common",
      "crct10dif_generic",
      "crc_t10dif",
      "crc64",
      "crc64_rocksoft",
      "t10_pi",
      "nvme_core",
      "nvme",
    ]);
  });

  it("skips a soft dependency nothing provides, but not a hard one", () => {
    const order = resolveLoadOrder([module("a", { softdepPre: ["ghost"] })], ["a"]);
    expect(order.map((m) => m.name)).toEqual(["a"]);
    expect(() => resolveLoadOrder([module("a", { depends: ["ghost"] })], ["a"])).toThrow(
      /a depends on ghost, which is missing/,
    );
  });

  it("reports a cycle and a missing root as build errors", () => {
    const cycle = [module("a", { depends: ["b"] }), module("b", { depends: ["a"] })];
    expect(() => resolveLoadOrder(cycle, ["a"])).toThrow(/dependency cycle: a -> b -> a/);
    expect(() => resolveLoadOrder(cycle, ["nvme"])).toThrow(GuestBuildError);
  });
});

describe("scanModuleTree", () => {
  const scratch = scratchDirs("bplab-lab-modules-");

  it("reads every .ko below the root and names files relative to it", async () => {
    const root = await scratch();
    await mkdir(join(root, "kernel/drivers/nvme/host"), { recursive: true });
    const ko = (pairs: Array<[string, string]>) =>
      buildElf64([{ name: ".modinfo", data: modinfoSection(pairs) }]);
    await writeFile(
      join(root, "kernel/drivers/nvme/host/nvme.ko"),
      ko([
        ["depends", "nvme-core"],
        ["name", "nvme"],
      ]),
    );
    await writeFile(
      join(root, "kernel/drivers/nvme/host/nvme-core.ko"),
      ko([
        ["depends", ""],
        ["name", "nvme_core"],
      ]),
    );
    await writeFile(join(root, "modules.order"), "not a module");
    const modules = await scanModuleTree(root);
    expect(resolveLoadOrder(modules).map((m) => m.file)).toEqual([
      "kernel/drivers/nvme/host/nvme-core.ko",
      "kernel/drivers/nvme/host/nvme.ko",
    ]);
  });

  it("says so when a kernel ships only compressed modules", async () => {
    const root = await scratch();
    await writeFile(join(root, "nvme.ko.xz"), "xz");
    await expect(scanModuleTree(root)).rejects.toThrow(/only compressed modules such as nvme\.ko\.xz/);
  });
});

/**
 * Which OVMF the lab boots: the Nix shell's BPLAB_OVMF_CODE / BPLAB_OVMF_VARS (nix/devshell.nix)
 * win over Debian's /usr/share/OVMF files, both or neither, and only existing files.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { patchedDeviceQemuArgs } from "@bplab/lab";
import { pins } from "@bplab/pins";
import { beforeAll, describe, expect, it } from "vitest";
import { firmwareQemuArgs } from "../src/boot-lab.js";
import { FirmwareBadOptionError } from "../src/errors.js";
import {
  hostPackages,
  hostRequirements,
  OVMF_CODE_ENV,
  OVMF_CODE_PATH,
  OVMF_VARS_ENV,
  OVMF_VARS_TEMPLATE_PATH,
  ovmfFiles,
} from "../src/host-tools.js";
import { fileTempDir } from "./helpers/temp-dir.js";

const tempDir = fileTempDir("bplab-fw-ovmf-");
let code: string;
let vars: string;
beforeAll(async () => {
  // The names nixpkgs' OVMF.fd installs under FV/.
  code = join(tempDir(), "OVMF_CODE.fd");
  vars = join(tempDir(), "OVMF_VARS.fd");
  await writeFile(code, "code");
  await writeFile(vars, "vars");
});

describe("ovmfFiles", () => {
  it("uses Debian's 4M files when neither variable is set (or they are empty)", () => {
    const debian = { code: OVMF_CODE_PATH, vars: OVMF_VARS_TEMPLATE_PATH, source: "debian" };
    expect(ovmfFiles({})).toEqual(debian);
    expect(ovmfFiles({ [OVMF_CODE_ENV]: "", [OVMF_VARS_ENV]: "" })).toEqual(debian);
  });

  it("takes BPLAB_OVMF_CODE and BPLAB_OVMF_VARS over Debian's files", () => {
    expect(ovmfFiles({ [OVMF_CODE_ENV]: code, [OVMF_VARS_ENV]: vars })).toEqual({
      code,
      vars,
      source: "environment",
    });
  });

  it("refuses one without the other: a VARS store belongs to its CODE build", () => {
    for (const env of [{ [OVMF_CODE_ENV]: code }, { [OVMF_VARS_ENV]: vars }]) {
      expect(() => ovmfFiles(env)).toThrow(FirmwareBadOptionError);
    }
    expect(() => ovmfFiles({ [OVMF_CODE_ENV]: code })).toThrow(/BPLAB_OVMF_VARS must be set together/);
  });

  it("refuses a path that does not exist, naming the variable", () => {
    const missing = join(tempDir(), "nope.fd");
    expect(() => ovmfFiles({ [OVMF_CODE_ENV]: code, [OVMF_VARS_ENV]: missing })).toThrow(
      /BPLAB_OVMF_VARS names a file that does not exist/,
    );
    expect(() => ovmfFiles({ [OVMF_CODE_ENV]: missing, [OVMF_VARS_ENV]: vars })).toThrow(
      expect.objectContaining({ code: "FIRMWARE_BAD_OPTION", field: OVMF_CODE_ENV }),
    );
  });

  it("QEMU's read-only pflash unit 0 is the chosen CODE volume", () => {
    const argv = firmwareQemuArgs({
      serialLog: "s.log",
      ovmfCode: code,
      vars: "run-vars.fd",
      esp: "esp.img",
      deviceArgs: patchedDeviceQemuArgs({ bootpartPath: "bp.img", memory: "512M" }),
    });
    expect(argv).toContain(`if=pflash,format=raw,unit=0,readonly=on,file=${code}`);
    expect(argv).toContain("if=pflash,format=raw,unit=1,file=run-vars.fd");
    expect(argv.join(" ")).not.toContain(OVMF_CODE_PATH);
  });

  it("does not ask apt for Debian's ovmf when the environment names an OVMF", () => {
    expect(hostPackages(hostRequirements({}))).toContain(pins.ovmf.debianPackage);
    const nix = hostPackages(hostRequirements({ [OVMF_CODE_ENV]: code, [OVMF_VARS_ENV]: vars }));
    expect(nix).not.toContain(pins.ovmf.debianPackage);
    expect(nix).toContain(pins.gnuEfi.debianPackage);
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  loadPins,
  nixNodeAttribute,
  nixPnpmAttribute,
  PINS_FILE,
  PinsError,
  packageManagerField,
  pins,
  validatePins,
} from "../src/index.js";

const shipped = JSON.parse(readFileSync(PINS_FILE, "utf8")) as Record<string, unknown>;
const scratch = mkdtempSync(join(tmpdir(), "bplab-pins-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A deep copy of the shipped pins with one field replaced. */
function withField(section: string, key: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(shipped);
  (copy[section] as Record<string, unknown>)[key] = value;
  return copy;
}

function rejection(value: unknown): PinsError {
  try {
    validatePins(value, "pins.json");
  } catch (error) {
    if (error instanceof PinsError) return error;
    throw error;
  }
  throw new Error("validatePins accepted the value");
}

describe("the shipped pins.json", () => {
  it("loads and passes every rule", () => {
    expect(loadPins()).toEqual(pins);
    expect(pins.schema).toBe(1);
  });

  it("names one QEMU release three times consistently", () => {
    const { version, debianSourceVersion, origTarball } = pins.qemu;
    expect(debianSourceVersion).toContain(`${version}+ds-`);
    expect(origTarball).toBe(`qemu_${version}+ds.orig.tar.xz`);
  });

  it("derives the nixpkgs attribute names the flake uses", () => {
    expect(nixNodeAttribute()).toBe(`nodejs_${pins.node.major}`);
    expect(nixPnpmAttribute()).toBe(`pnpm_${pins.pnpm.version.split(".")[0]}`);
    expect(packageManagerField()).toBe(`pnpm@${pins.pnpm.version}`);
  });
});

describe("validatePins rejects a broken pin and names the field", () => {
  const cases: [string, unknown, string][] = [
    [
      "a sha256 that is not 64 hex digits",
      withField("qemu", "origTarballSha256", "be05"),
      "qemu.origTarballSha256",
    ],
    [
      "an upper-case sha256",
      withField("qemu", "origTarballSha256", "A".repeat(64)),
      "qemu.origTarballSha256",
    ],
    [
      "a tarball of another release",
      withField("qemu", "origTarball", "qemu_10.2.1+ds.orig.tar.xz"),
      "qemu.origTarball",
    ],
    [
      "a Debian version of another release",
      withField("qemu", "debianSourceVersion", "1:10.2.1+ds-1"),
      "qemu.debianSourceVersion",
    ],
    ["a version that is not X.Y.Z", withField("qemu", "version", "10.2"), "qemu.version"],
    ["engines below the pinned Node major", withField("node", "engines", ">=18.0"), "node.engines"],
    ["a fractional Node major", withField("node", "major", 20.5), "node.major"],
    ["a pnpm range instead of a version", withField("pnpm", "version", "^10"), "pnpm.version"],
    ["a nixpkgs attribute with a dot", withField("ovmf", "nixAttribute", "OVMF.fd"), "ovmf.nixAttribute"],
    [
      "a kernel that is not a linux-image package",
      withField("kernel", "debianPackage", "linux-6.1"),
      "kernel.debianPackage",
    ],
    ["a missing section", { ...shipped, gnuEfi: undefined }, "gnuEfi"],
    ["another schema", { ...shipped, schema: 2 }, "schema"],
  ];
  it.each(cases)("%s", (_what, value, field) => {
    const error = rejection(value);
    expect(error.code).toBe("PINS_INVALID");
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });
});

describe("loadPins", () => {
  it("says PINS_UNREADABLE for a missing file", () => {
    expect(() => loadPins(join(scratch, "absent.json"))).toThrow(
      expect.objectContaining({ code: "PINS_UNREADABLE" }),
    );
  });

  it("says PINS_INVALID for a file that is not JSON", () => {
    const file = join(scratch, "broken.json");
    writeFileSync(file, "{ qemu: ");
    expect(() => loadPins(file)).toThrow(expect.objectContaining({ code: "PINS_INVALID", file }));
  });
});

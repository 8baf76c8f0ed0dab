/**
 * The shape of pins.json and the rules each field follows. The same file is read by flake.nix
 * (nix/pins.nix applies the cross-field rules again at evaluation time), so the checks here are
 * what the TypeScript side relies on and what the drift tests compare against.
 */
import { PinsError } from "./errors.js";

export interface QemuPins {
  /** Upstream release, e.g. "10.2.2". */
  readonly version: string;
  /** Debian source package the tarball comes from ("qemu"). */
  readonly debianSourcePackage: string;
  /** Debian version whose .dsc lists the tarball, e.g. "1:10.2.2+ds-1". */
  readonly debianSourceVersion: string;
  /** The Debian suite whose Sources index lists that version. */
  readonly debianSourceSuite: string;
  /** Debian's repackaged upstream tarball ("qemu_<version>+ds.orig.tar.xz"). */
  readonly origTarball: string;
  /** Its sha256 (lower-case hex), from the .dsc's Checksums-Sha256 field, checked on every download. */
  readonly origTarballSha256: string;
}

/** A Debian package at a recorded version, and its attribute name in nixpkgs. */
export interface DebianAndNixPins {
  readonly debianPackage: string;
  readonly debianVersion: string;
  readonly nixAttribute: string;
}

export interface NvmeCliPins extends DebianAndNixPins {
  /** nvme-cli's own version (Debian 12 ships 2.3 under the 2.4+really2.3 package version). */
  readonly version: string;
}

export interface Pins {
  readonly schema: 1;
  readonly qemu: QemuPins;
  readonly ovmf: DebianAndNixPins;
  /** The guest kernel: a Debian binary package name (its ABI number is part of the name). */
  readonly kernel: { readonly debianPackage: string };
  readonly nvmeCli: NvmeCliPins;
  readonly gnuEfi: DebianAndNixPins;
  /** Node: the major the flake's nodejs_<major> and the root engines field follow. */
  readonly node: { readonly major: number; readonly engines: string };
  /** pnpm: the exact version of the root packageManager field. */
  readonly pnpm: { readonly version: string };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const SEMVER = /^\d+\.\d+\.\d+$/;
/** Debian package names (Debian Policy §5.6.1). */
const DEBIAN_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
/** Debian versions: optional epoch, upstream, optional revision; no spaces. */
const DEBIAN_VERSION = /^(\d+:)?[0-9][A-Za-z0-9.+~-]*$/;
/** nixpkgs attribute names as the flake uses them (no dots: OVMF's output is chosen in nix/). */
const NIX_ATTRIBUTE = /^[A-Za-z_][A-Za-z0-9_'-]*$/;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Walks the parsed JSON with the file name at hand, so every complaint names its field. */
class FieldReader {
  constructor(private readonly file: string) {}

  fail(field: string, message: string): never {
    throw new PinsError("PINS_INVALID", this.file, field, message);
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(field, `expected an object, got ${JSON.stringify(value)}`);
    }
    return value as Record<string, unknown>;
  }

  string(parent: Record<string, unknown>, key: string, field: string, pattern: RegExp): string {
    const value = parent[key];
    if (typeof value !== "string")
      this.fail(`${field}.${key}`, `expected a string, got ${JSON.stringify(value)}`);
    if (!pattern.test(value))
      this.fail(`${field}.${key}`, `${JSON.stringify(value)} does not match ${pattern}`);
    return value;
  }

  debianAndNix(root: Record<string, unknown>, key: string): DebianAndNixPins {
    const section = this.object(root[key], key);
    return {
      debianPackage: this.string(section, "debianPackage", key, DEBIAN_NAME),
      debianVersion: this.string(section, "debianVersion", key, DEBIAN_VERSION),
      nixAttribute: this.string(section, "nixAttribute", key, NIX_ATTRIBUTE),
    };
  }
}

function parseQemu(read: FieldReader, root: Record<string, unknown>): QemuPins {
  const section = read.object(root.qemu, "qemu");
  const version = read.string(section, "version", "qemu", SEMVER);
  const qemu: QemuPins = {
    version,
    debianSourcePackage: read.string(section, "debianSourcePackage", "qemu", DEBIAN_NAME),
    debianSourceVersion: read.string(section, "debianSourceVersion", "qemu", DEBIAN_VERSION),
    debianSourceSuite: read.string(section, "debianSourceSuite", "qemu", /^[a-z]+(-[a-z]+)?$/),
    origTarball: read.string(section, "origTarball", "qemu", /^[A-Za-z0-9._+-]+\.orig\.tar\.xz$/),
    origTarballSha256: read.string(section, "origTarballSha256", "qemu", SHA256_HEX),
  };
  // A version bump that forgets one of the three names would fetch one release and call it another.
  const v = escapeRegExp(version);
  if (!new RegExp(`^(\\d+:)?${v}\\+ds-\\d+$`).test(qemu.debianSourceVersion)) {
    read.fail("qemu.debianSourceVersion", `${qemu.debianSourceVersion} is not a +ds version of ${version}`);
  }
  if (qemu.origTarball !== `${qemu.debianSourcePackage}_${version}+ds.orig.tar.xz`) {
    read.fail("qemu.origTarball", `${qemu.origTarball} is not the +ds orig tarball of ${version}`);
  }
  return qemu;
}

/** Checks parsed pins.json and returns it typed; throws PinsError naming the first bad field. */
export function validatePins(value: unknown, file: string): Pins {
  const read = new FieldReader(file);
  const root = read.object(value, "(top level)");
  if (root.schema !== 1) read.fail("schema", `expected 1, got ${JSON.stringify(root.schema)}`);
  const kernel = read.object(root.kernel, "kernel");
  const nvmeCliSection = read.object(root.nvmeCli, "nvmeCli");
  const node = read.object(root.node, "node");
  const major = node.major;
  if (typeof major !== "number" || !Number.isInteger(major) || major < 1) {
    return read.fail("node.major", `expected a positive integer, got ${JSON.stringify(major)}`);
  }
  const engines = read.string(node, "engines", "node", /^>=\d+\.\d+(\.\d+)?$/);
  if (!engines.startsWith(`>=${major}.`))
    read.fail("node.engines", `${engines} does not start at Node ${major}`);
  const pnpm = read.object(root.pnpm, "pnpm");
  return {
    schema: 1,
    qemu: parseQemu(read, root),
    ovmf: read.debianAndNix(root, "ovmf"),
    kernel: { debianPackage: read.string(kernel, "debianPackage", "kernel", /^linux-image-[a-z0-9.+-]+$/) },
    nvmeCli: {
      ...read.debianAndNix(root, "nvmeCli"),
      version: read.string(nvmeCliSection, "version", "nvmeCli", /^\d+\.\d+(\.\d+)?$/),
    },
    gnuEfi: read.debianAndNix(root, "gnuEfi"),
    node: { major, engines },
    pnpm: { version: read.string(pnpm, "version", "pnpm", SEMVER) },
  };
}

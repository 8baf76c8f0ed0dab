/**
 * @bplab/pins: the versions and checksums the lab is built from, read from pins.json (shipped next
 * to dist/). `pins` is loaded and checked once, when this module is first imported.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PinsError } from "./errors.js";
import { type Pins, validatePins } from "./schema.js";

export type { PinsErrorCode } from "./errors.js";
export { PinsError } from "./errors.js";
export type { DebianAndNixPins, NvmeCliPins, Pins, QemuPins } from "./schema.js";
export { validatePins } from "./schema.js";

/** The pins.json this package ships (dist/ and src/ both sit one level below it). */
export const PINS_FILE = fileURLToPath(new URL("../pins.json", import.meta.url));

/** Reads and checks a pins file (default: the shipped one). */
export function loadPins(file: string = PINS_FILE): Pins {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new PinsError("PINS_UNREADABLE", file, undefined, (cause as Error).message, { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new PinsError("PINS_INVALID", file, undefined, `not JSON: ${(cause as Error).message}`, { cause });
  }
  return validatePins(parsed, file);
}

/** The shipped pins, checked. */
export const pins: Pins = loadPins();

/** The nixpkgs attribute of the pinned Node major, as flake.nix derives it ("nodejs_20"). */
export function nixNodeAttribute(p: Pins = pins): string {
  return `nodejs_${p.node.major}`;
}

/** The nixpkgs attribute of the pinned pnpm major, as flake.nix derives it ("pnpm_10"). */
export function nixPnpmAttribute(p: Pins = pins): string {
  return `pnpm_${p.pnpm.version.split(".")[0]}`;
}

/** The root package.json `packageManager` value the pins imply ("pnpm@10.34.9"). */
export function packageManagerField(p: Pins = pins): string {
  return `pnpm@${p.pnpm.version}`;
}

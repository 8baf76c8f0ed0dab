// Read what the lab is built from, and check a pins file of your own with the same validator.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadPins, PinsError, packageManagerField, pins, validatePins } from "@bplab/pins";

assert.match(pins.qemu.origTarballSha256, /^[0-9a-f]{64}$/);
console.log(`QEMU ${pins.qemu.version} (${pins.qemu.origTarball}), OVMF ${pins.ovmf.debianVersion}`);
console.log(`nvme-cli ${pins.nvmeCli.version}, Node >= ${pins.node.major}, ${packageManagerField()}`);

// The raw file is exported too (for tools that are not TypeScript, e.g. a Nix flake).
const file = createRequire(import.meta.url).resolve("@bplab/pins/pins.json");
assert.equal(loadPins(file).qemu.version, JSON.parse(readFileSync(file, "utf8")).qemu.version);

const drifted = { ...pins, qemu: { ...pins.qemu, origTarballSha256: "not-a-hash" } };
assert.throws(() => validatePins(drifted, "my-pins.json"), PinsError);
console.log("ok @bplab/pins");

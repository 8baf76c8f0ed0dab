import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SeriesError } from "../src/errors.js";
import { DEVICE_CONFIG_NAME } from "../src/pins.js";
import { applySourceFixups } from "../src/tree.js";
import { tempDir } from "./helpers.js";

const PC_BIOS = "x = 1\nif unpack_edk2_blobs\n  y()\nendif\nsubdir('dtb')\nz = 2\n";

function fakeTree(pcBios: string): string {
  const dir = tempDir();
  mkdirSync(join(dir, "pc-bios"), { recursive: true });
  mkdirSync(join(dir, "configs", "devices", "x86_64-softmmu"), { recursive: true });
  writeFileSync(join(dir, "pc-bios", "meson.build"), pcBios);
  return dir;
}

describe("applySourceFixups", () => {
  it("skips the firmware blobs the +ds tarball lacks and writes the device set, idempotently", () => {
    const dir = fakeTree(PC_BIOS);
    applySourceFixups(dir);
    applySourceFixups(dir);
    expect(readFileSync(join(dir, "pc-bios", "meson.build"), "utf8")).toBe(
      "x = 1\nif unpack_edk2_blobs and false\n  y()\nendif\n#subdir('dtb')\nz = 2\n",
    );
    const devices = readFileSync(
      join(dir, "configs", "devices", "x86_64-softmmu", `${DEVICE_CONFIG_NAME}.mak`),
      "utf8",
    );
    expect(devices).toContain("CONFIG_NVME_PCI=y\n");
    expect(devices).toContain("CONFIG_SPDM_SOCKET=y\n");
  });

  it("fails loudly when the source does not look like QEMU 10.2.2", () => {
    const dir = fakeTree("nothing to see\n");
    expect(() => applySourceFixups(dir)).toThrow(SeriesError);
    expect(() => applySourceFixups(dir)).toThrow("expected");
  });
});

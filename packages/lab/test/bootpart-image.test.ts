import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BOOT_PARTITION_UNIT_BYTES } from "@bplab/nvme-spec";
import { BOOTPART_METADATA_BYTES } from "@bplab/qtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBootpartImage, readBootPartition, zeroFilledBootPartition } from "../src/bootpart-image.js";
import { LabBadOptionError } from "../src/errors.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bplab-lab-bootpart-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("bootpart image", () => {
  it("lays out BP0, BP1 and a zero metadata block, as the patched device reads it", async () => {
    const image = await createBootpartImage(join(dir, "a.img"), {
      bpsz: 2,
      bp0: Uint8Array.of(1, 2, 3),
      bp1: new Uint8Array(2 * BOOT_PARTITION_UNIT_BYTES).fill(0xbb),
    });
    expect(image.bpSizeBytes).toBe(2 * BOOT_PARTITION_UNIT_BYTES);
    expect((await stat(image.path)).size).toBe(4 * BOOT_PARTITION_UNIT_BYTES + BOOTPART_METADATA_BYTES);
    const bytes = await readFile(image.path);
    expect([...bytes.subarray(0, 4)]).toEqual([1, 2, 3, 0]);
    expect(bytes[image.bpSizeBytes]).toBe(0xbb);
    expect(bytes.subarray(2 * image.bpSizeBytes).every((b) => b === 0)).toBe(true);
    expect((await readBootPartition(image, 1)).every((b) => b === 0xbb)).toBe(true);
    expect(await readBootPartition(image, 0)).toEqual(
      zeroFilledBootPartition(Uint8Array.of(1, 2, 3), image.bpSizeBytes),
    );
  });

  it("names the field and the rule for bad sizes and ids", async () => {
    await expect(createBootpartImage(join(dir, "b.img"), { bpsz: 0 })).rejects.toThrow(
      /bpsz: must be an integer 1\.\.32767/,
    );
    await expect(
      createBootpartImage(join(dir, "c.img"), { bp1: new Uint8Array(BOOT_PARTITION_UNIT_BYTES + 1) }),
    ).rejects.toThrow(/bp1: must fit in one BP/);
    const image = await createBootpartImage(join(dir, "d.img"));
    await expect(readBootPartition(image, 2)).rejects.toThrow(LabBadOptionError);
    await expect(readBootPartition({ ...image, path: join(dir, "b.img.missing") }, 0)).rejects.toThrow(
      /ENOENT/,
    );
  });
});

/**
 * The device behind a firmware boot (lab's attach with firmware's options), without booting: the
 * patched device's arguments, a refused target, and the vfio-user device's round trip through the
 * file (seeded before QEMU, written back after) that makes power cycles and read-backs work as on
 * the patched device. The BP size a `bootpart` file implies is tested in @bplab/lab.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createBootpartImage, readBootPartition } from "@bplab/lab";
import { bootPartitionSizeBytes } from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { attachFirmwareDevice, vfioUserUnavailableReason } from "../src/device-target.js";
import { seededImage } from "./helpers/data.js";
import { fileTempDir } from "./helpers/temp-dir.js";

const KIB = 1024;
const tempDir = fileTempDir("bplab-fw-device-");

describe("the firmware boot's device", () => {
  it("the patched device runs on the bootpart file itself (lab's arguments)", async () => {
    const device = await attachFirmwareDevice({
      target: "qemu",
      bootpart: "/r/bp.img",
      memory: "512M",
      qemuBinary: "/q/qemu-system-x86_64",
      runDir: tempDir(),
      needsInterrupts: true,
    });
    expect(device.binary).toBe("/q/qemu-system-x86_64");
    expect(device.args).toEqual([
      ...["-machine", "q35", "-m", "512M"],
      ...["-drive", "file=/r/bp.img,if=none,format=raw,id=bp0"],
      ...["-device", "nvme,id=nvme0,serial=bplab-lab,bootpart=bp0"],
    ]);
  });

  it("refuses an unknown target with firmware's option error, before anything starts", async () => {
    await expect(
      attachFirmwareDevice({
        target: "floppy" as "qemu",
        bootpart: "/r/bp.img",
        memory: "512M",
        qemuBinary: "unused",
        runDir: tempDir(),
        needsInterrupts: false,
      }),
    ).rejects.toMatchObject({ code: "FIRMWARE_BAD_OPTION" });
  });

  it("names a missing vfio-user QEMU as the reason the target cannot run", async () => {
    const reason = await vfioUserUnavailableReason({
      vfioUserQemu: join(tempDir(), "no-such-qemu"),
      needsInterrupts: false,
    });
    expect(reason).toMatch(/no stock QEMU with vfio-user-pci/);
    await expect(
      attachFirmwareDevice({
        target: "vfio-user",
        bootpart: join(tempDir(), "unused.img"),
        memory: "512M",
        qemuBinary: "unused",
        vfioUserQemu: join(tempDir(), "no-such-qemu"),
        runDir: tempDir(),
        needsInterrupts: false,
      }),
    ).rejects.toMatchObject({ code: "FIRMWARE_HOST_UNSUPPORTED" });
  });
});

const vfioUserSkip = await vfioUserUnavailableReason({ needsInterrupts: false });
if (vfioUserSkip) console.warn(`[firmware] skipping the vfio-user device round trip: ${vfioUserSkip}`);

describe.skipIf(vfioUserSkip !== undefined)("the vfio-user device and the bootpart file", () => {
  it("serves the file's BPs and writes them back unchanged when no guest changed them", async () => {
    const bpBytes = bootPartitionSizeBytes(1);
    const bp0 = seededImage(bpBytes, "device-bp0");
    const bp1 = seededImage(bpBytes, "device-bp1");
    const image = await createBootpartImage(join(tempDir(), "bp.img"), { bpsz: 1, bp0, bp1 });
    const runDir = await mkdtemp(join(tempDir(), "run-"));
    const device = await attachFirmwareDevice({
      target: "vfio-user",
      bootpart: image.path,
      memory: "512M",
      qemuBinary: "unused",
      runDir,
      needsInterrupts: false,
    });
    try {
      expect(device.args).toContain("-device");
      expect(device.args.join(" ")).toContain('"driver":"vfio-user-pci"');
    } finally {
      // The device never saw a QEMU: release() writes back what was seeded, then stops it.
      await device.release();
    }
    expect(await readBootPartition(image, 0)).toEqual(bp0);
    expect(await readBootPartition(image, 1)).toEqual(bp1);
    // The metadata block now holds the device's ABPID (0), as the patched device writes it.
    expect((await readFile(image.path)).length).toBe(2 * bpBytes + 4 * KIB);
  });
});

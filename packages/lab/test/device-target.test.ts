// The device-target option of runGuest with a stand-in QEMU: on "vfio-user" the runner starts the
// TS controller's vfio-user server for the boot, seeds it from the bootpart file, hands QEMU the
// memfd RAM and JSON -device arguments and writes the BPs back after QEMU exits.
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFdPassing } from "@bplab/vfio-user";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBootpartImage } from "../src/bootpart-image.js";
import { bootpartFileBpSizeBytes, patchedDeviceQemuArgs } from "../src/device-target.js";
import { LabBadOptionError } from "../src/errors.js";
import { type GuestRunOptions, guestQemuArgs, runGuest } from "../src/guest-runner.js";
import { GuestScript } from "../src/guest-script.js";
import { requireResult } from "../src/serial-protocol.js";
import { patternBytes } from "./helpers/data.js";

const BP = 128 * 1024;
let dir: string;
let base: GuestRunOptions;

/** Answers `-device help` like a QEMU with vfio-user-pci, then prints its -machine and -device. */
async function fakeVfioUserQemu(): Promise<string> {
  const path = join(dir, "qemu-vfio-user");
  const body = [
    'if [ "$1" = -device ] && [ "$2" = help ]; then echo \'name "vfio-user-pci", bus PCI\'; exit 0; fi',
    'while [ $# -gt 0 ]; do case "$1" in -machine) echo "BPLAB-RESULT machine=$2";; -object) echo "BPLAB-RESULT object=$2";; -device) echo "BPLAB-RESULT device=$2";; esac; shift; done',
    "echo 'BPLAB-DONE status=0'",
  ].join("\n");
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

const fdSkip = loadFdPassing() instanceof Error ? "the usocket addon is not built" : undefined;
if (fdSkip) console.warn(`skipping the vfio-user runner tests: ${fdSkip}`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bplab-lab-device-"));
  await writeFile(join(dir, "initramfs.cpio.gz"), new Uint8Array(8));
  base = {
    image: { kernel: join(dir, "vmlinuz"), initramfs: join(dir, "initramfs.cpio.gz") },
    script: new GuestScript().result("x", "echo 1"),
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the QEMU arguments of a device target", () => {
  it("the patched device: q35, -m, the bootpart drive and nvme; another target's arguments replace them", () => {
    expect(patchedDeviceQemuArgs({ bootpartPath: "/bp.img", memory: "1G" })).toEqual([
      ...["-machine", "q35", "-m", "1G"],
      ...["-drive", "file=/bp.img,if=none,format=raw,id=bp0"],
      ...["-device", "nvme,id=nvme0,serial=bplab-lab,bootpart=bp0"],
    ]);
    const other = ["-machine", "q35,memory-backend=mem", "-device", "{}"];
    const args = guestQemuArgs({
      kernel: "k",
      initrd: "i",
      append: "a",
      bootpartPath: "/bp.img",
      memory: "1G",
      deviceArgs: other,
    }).join(" ");
    expect(args).toContain("-machine q35,memory-backend=mem -device {} -accel tcg");
    expect(args).not.toContain("bootpart");
  });

  it("a bootpart file's BP size: two BPs of whole 128 KiB units, with or without the 4 KiB metadata block", () => {
    const KIB = 1024;
    expect(bootpartFileBpSizeBytes(2 * 128 * KIB)).toBe(128 * KIB);
    expect(bootpartFileBpSizeBytes(2 * 128 * KIB + 4 * KIB)).toBe(128 * KIB);
    expect(bootpartFileBpSizeBytes(2 * 384 * KIB + 4 * KIB)).toBe(384 * KIB);
    for (const odd of [0, 4 * KIB, 2 * 128 * KIB + 1, 3 * 128 * KIB, 2 * 128 * KIB + 8 * KIB])
      expect(() => bootpartFileBpSizeBytes(odd), `${odd} bytes`).toThrow(LabBadOptionError);
  });

  it("refuses an unknown target and a bootpart file that is no BP image, before QEMU starts", async () => {
    await expect(runGuest({ ...base, device: "floppy" as "qemu" })).rejects.toThrow(/device: must be one of/);
    const odd = join(dir, "odd.img");
    await writeFile(odd, new Uint8Array(1000));
    const error = await runGuest({
      ...base,
      device: "vfio-user",
      bootpart: odd,
      qemuBinary: await fakeVfioUserQemu(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LabBadOptionError);
  });
});

describe.skipIf(fdSkip !== undefined)("runGuest on the vfio-user device", () => {
  it("gives QEMU memfd RAM and the vfio-user-pci socket, and writes the BPs and ABPID back to the bootpart file", async () => {
    const bp0 = patternBytes(BP, 0x51);
    const bootpart = await createBootpartImage(join(dir, "bp.img"), { bp0 });
    const run = await runGuest({
      ...base,
      device: "vfio-user",
      bootpart,
      qemuBinary: await fakeVfioUserQemu(),
    });
    expect(requireResult(run.report, "machine")).toBe("q35,memory-backend=mem");
    expect(requireResult(run.report, "object")).toBe("memory-backend-memfd,id=mem,size=512M,share=on");
    const device = JSON.parse(requireResult(run.report, "device")) as {
      driver: string;
      socket: { path: string };
    };
    expect(device.driver).toBe("vfio-user-pci");
    expect(device.socket.path).toMatch(/\/bplab-guest-[^/]+\/nvme\.sock$/);
    const image = await readFile(bootpart.path);
    expect(image.length).toBe(2 * BP + 4096);
    expect(Buffer.from(image.subarray(0, BP))).toEqual(Buffer.from(bp0));
    expect(image.subarray(BP, 2 * BP).every((byte) => byte === 0)).toBe(true);
    // What the patched device writes on CA=111b: magic, version 1, ABPID (0 here).
    expect(image.subarray(2 * BP, 2 * BP + 12).toString("latin1")).toBe("QEMU-NVME-BP");
    expect(image[2 * BP + 16]).toBe(0);
  });
});

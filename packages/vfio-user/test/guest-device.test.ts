// The guest device: a state directory served over vfio-user, its QEMU arguments, and the patched
// device's `bootpart` image format as the way in and out for BP contents and ABPID.
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeBootpartImage,
  encodeBootpartImage,
  GuestDeviceError,
  startGuestNvmeDevice,
  vfioUserDeviceQemuArgs,
} from "../src/guest-device.js";
import { findVfioUserQemu } from "../src/target.js";

const BP = 128 * 1024;
const META = 4096;

const qemuSkip = await (async () => {
  if (process.env.BPLAB_SKIP_QEMU === "1") return "BPLAB_SKIP_QEMU=1";
  try {
    await findVfioUserQemu();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
})();
if (qemuSkip) console.warn(`skipping the guest device tests that need the unpatched QEMU: ${qemuSkip}`);

function pattern(length: number, seed: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => (i * 31 + seed + (i >> 8)) & 0xff);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bplab-guest-device-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the bootpart image format (docs/qemu.md)", () => {
  it("a zero metadata block, or none, is ABPID 0; BP0 then BP1", () => {
    const image = new Uint8Array(2 * BP + META);
    image.set(pattern(BP, 1), 0);
    image.set(pattern(BP, 2), BP);
    const decoded = decodeBootpartImage(image, BP);
    expect(decoded.activeBpid).toBe(0);
    expect(Buffer.from(decoded.bootPartitions[1])).toEqual(Buffer.from(pattern(BP, 2)));
    expect(decodeBootpartImage(image.subarray(0, 2 * BP), BP).activeBpid).toBe(0);
  });

  it("encodes QEMU's block: magic QEMU-NVME-BP, version 1 LE at 12, ABPID at 16; decodes it back", () => {
    const image = encodeBootpartImage([pattern(BP, 3), pattern(BP, 4)], 1);
    expect(image.length).toBe(2 * BP + META);
    const meta = image.subarray(2 * BP);
    expect(new TextDecoder().decode(meta.subarray(0, 12))).toBe("QEMU-NVME-BP");
    expect([...meta.subarray(12, 17)]).toEqual([1, 0, 0, 0, 1]);
    expect(meta.subarray(17).every((byte) => byte === 0)).toBe(true);
    expect(decodeBootpartImage(image, BP).activeBpid).toBe(1);
  });

  it("refuses what QEMU refuses: a wrong size, a foreign block, ABPID above 1", () => {
    const bad = (image: Uint8Array) => {
      try {
        decodeBootpartImage(image, BP);
      } catch (error) {
        return (error as GuestDeviceError).code;
      }
      return "accepted";
    };
    expect(bad(new Uint8Array(2 * BP + 512))).toBe("GUEST_DEVICE_BAD_IMAGE");
    const foreign = new Uint8Array(2 * BP + META);
    foreign[2 * BP] = 0x51;
    expect(bad(foreign)).toBe("GUEST_DEVICE_BAD_IMAGE");
    const abpid2 = encodeBootpartImage([new Uint8Array(BP), new Uint8Array(BP)], 1);
    abpid2[2 * BP + 16] = 2;
    expect(bad(abpid2)).toBe("GUEST_DEVICE_BAD_IMAGE");
  });
});

describe("the QEMU arguments", () => {
  it("memfd RAM shared with the server and the JSON -device with the socket object", () => {
    expect(vfioUserDeviceQemuArgs({ socketPath: "/r/nvme.sock", memory: "512M" })).toEqual([
      ...["-machine", "q35,memory-backend=mem", "-m", "512M"],
      ...["-object", "memory-backend-memfd,id=mem,size=512M,share=on"],
      ...["-device", '{"driver":"vfio-user-pci","id":"vu0","socket":{"type":"unix","path":"/r/nvme.sock"}}'],
    ]);
  });

  it("refuses a memory size that would add options to the -object string", () => {
    expect(() => vfioUserDeviceQemuArgs({ socketPath: "/s", memory: "1G,share=off" })).toThrow(
      GuestDeviceError,
    );
  });
});

describe.skipIf(qemuSkip !== undefined)("startGuestNvmeDevice", () => {
  it("serves a fresh state directory; a bootpart image goes in and comes out with its ABPID", async () => {
    const device = await startGuestNvmeDevice({ createBpSizeBytes: BP, log: () => undefined });
    try {
      expect(existsSync(device.socket)).toBe(true);
      expect(existsSync(device.controlSocket)).toBe(true);
      expect(device.qemuArgs).toContain(
        JSON.stringify({
          driver: "vfio-user-pci",
          id: "vu0",
          socket: { type: "unix", path: device.socket },
        }),
      );
      const image = encodeBootpartImage([pattern(BP, 5), pattern(BP, 6)], 1);
      device.loadBootpartImage(image);
      expect(Buffer.from(device.bootpartImage())).toEqual(Buffer.from(image));
      // The state directory holds it, in its own format.
      expect(Buffer.from(readFileSync(join(device.stateDir, "bp1.img")))).toEqual(
        Buffer.from(pattern(BP, 6)),
      );
      expect(JSON.parse(readFileSync(join(device.stateDir, "meta.json"), "utf8")).activeBpid).toBe(1);
    } finally {
      await device.stop();
      await device.stop();
    }
    expect(existsSync(device.runDir)).toBe(false);
  });

  it("keeps a caller's state directory and run directory, and reopens the state after stop()", async () => {
    const stateDir = join(dir, "state");
    const runDir = await mkdtemp(join(dir, "run-"));
    const first = await startGuestNvmeDevice({
      stateDir,
      runDir,
      createBpSizeBytes: BP,
      log: () => undefined,
    });
    first.loadBootpartImage(encodeBootpartImage([pattern(BP, 7), pattern(BP, 8)], 0));
    await first.stop();
    expect(existsSync(runDir)).toBe(true);
    expect(existsSync(first.socket)).toBe(false);
    const second = await startGuestNvmeDevice({ stateDir, runDir, log: () => undefined });
    try {
      expect(Buffer.from(decodeBootpartImage(second.bootpartImage(), BP).bootPartitions[0])).toEqual(
        Buffer.from(pattern(BP, 7)),
      );
    } finally {
      await second.stop();
    }
  });

  it("powerCycle() is the controller's power cycle (MC-69), seen in its trace", async () => {
    const device = await startGuestNvmeDevice({ createBpSizeBytes: BP, log: () => undefined });
    try {
      const kinds: string[] = [];
      device.server.controller.trace.subscribe((event) => kinds.push(event.kind));
      device.powerCycle();
      expect(kinds).toContain("power-cycle");
    } finally {
      await device.stop();
    }
  });
});

// QemuTarget's `device` option: another NVMe device than the built-in `nvme` one (what
// @bplab/vfio-user supplies), with the target's launcher, PCI setup and resets, and the device's
// hooks called at the right moments of settle(), powerCycle() and close().

import { existsSync } from "node:fs";
import { RegisterOffset } from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { createQemuTarget, type QemuTarget, type QemuTargetDevice } from "../src/libqos/nvme-target.js";
import { hasQemu, processExists } from "./helpers/qemu.js";

/** A plain `nvme` device given as supplied arguments, with hooks that record what they saw. */
function recordingDevice(args: readonly string[]) {
  const events: string[] = [];
  let workDir = "";
  let target: QemuTarget | undefined;
  let lastPid = 0;
  const supplier = async (dir: string): Promise<QemuTargetDevice> => {
    workDir = dir;
    events.push(`supplied in an existing dir: ${existsSync(dir)}`);
    return {
      name: "supplied",
      id: "sup0",
      args,
      async settle(given) {
        target = given;
        events.push(
          `settle: VS ${((await given.mmioRead32(RegisterOffset.VS)) >>> 16) > 0 ? "read" : "zero"}`,
        );
      },
      async betweenProcesses() {
        events.push(`between processes: old QEMU alive ${processExists(lastPid)}`);
      },
      async close() {
        events.push(
          `close: QEMU alive ${lastPid !== 0 && processExists(lastPid)}, dir kept ${existsSync(workDir)}`,
        );
      },
    };
  };
  return {
    supplier,
    events,
    get workDir() {
      return workDir;
    },
    get settledTarget() {
      return target;
    },
    remember(pid: number) {
      lastPid = pid;
    },
  };
}

describe("QemuTarget device option", () => {
  it("refuses the options of the built-in nvme device next to a supplied one, naming the option", async () => {
    let supplied = false;
    const supplier = async (): Promise<QemuTargetDevice> => {
      supplied = true;
      return { args: [] };
    };
    await expect(createQemuTarget({ device: supplier, namespaceBytes: 0 })).rejects.toThrow(
      /namespaceBytes describes the built-in nvme device; a supplied device brings its own/,
    );
    await expect(
      createQemuTarget({ device: supplier, bootPartition: { bpSizeBytes: 131072 } }),
    ).rejects.toThrow(/bootPartition describes the built-in nvme device/);
    expect(supplied).toBe(false);
  });
});

describe.skipIf(!hasQemu)("QemuTarget device option (real QEMU)", () => {
  it("launches the supplied device and calls its hooks in settle(), powerCycle() and close()", async () => {
    const device = recordingDevice(["-device", "nvme,id=sup0,serial=supplied-0"]);
    const target = await createQemuTarget({ accel: "qtest", device: device.supplier });
    let closed = false;
    try {
      expect(target.name).toBe("supplied");
      expect(target.qomPath).toBe("/machine/peripheral/sup0");
      const serial = await target.instance.qmp.execute("qom-get", {
        path: "/machine/peripheral/sup0",
        property: "serial",
      });
      expect(serial).toBe("supplied-0");

      await target.settle();
      expect(device.settledTarget).toBe(target);

      device.remember(target.instance.pid);
      const address = await target.alloc(8);
      await target.memWrite(address, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
      await target.powerCycle();
      expect(target.instance.pid).not.toBe(0);
      expect(processExists(target.instance.pid)).toBe(true);
      expect([...(await target.memRead(address, 8))]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(target.bar0Address).not.toBe(0n);

      device.remember(target.instance.pid);
      await target.close();
      closed = true;
      expect(existsSync(device.workDir)).toBe(false);
      expect(device.events).toEqual([
        "supplied in an existing dir: true",
        "settle: VS read",
        "between processes: old QEMU alive false",
        "close: QEMU alive false, dir kept true",
      ]);
    } finally {
      if (!closed) await target.close();
    }
  });

  it("closes the supplied device and removes the work directory when QEMU cannot start", async () => {
    const device = recordingDevice(["-device", "no-such-device-bplab"]);
    await expect(createQemuTarget({ accel: "qtest", device: device.supplier })).rejects.toThrow();
    expect(device.events).toEqual([
      "supplied in an existing dir: true",
      "close: QEMU alive false, dir kept true",
    ]);
    expect(existsSync(device.workDir)).toBe(false);
  });
});

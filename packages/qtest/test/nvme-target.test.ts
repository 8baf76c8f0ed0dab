// The QEMU Target: MMIO on BAR0, guest memory, resets (MC-40) and power cycles (MC-42).

import { DEFAULT_FLAT_MEMORY_BASE, NvmeHostDriver, TargetUnsupportedError } from "@bplab/host";
import { BOOT_PARTITION_UNIT_BYTES, bpinfoCodec, CommitAction, RegisterOffset } from "@bplab/nvme-spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQemuTargetFactory, findPatchedQemu } from "../src/factory.js";
import { QEMU_BUILD_COMMAND } from "../src/find-qemu.js";
import {
  BOOTPART_METADATA_BYTES,
  bootPartitionImageBytes,
  createQemuTarget,
  type QemuTarget,
  UNMAPPED_HOST_ADDRESS,
} from "../src/libqos/nvme-target.js";
import { hasQemu, processExists, qemuHasBootPartitions, unpatchedQemuPath } from "./helpers/qemu.js";

/** The part of QMP `query-block`'s answer these tests read. */
interface QueryBlockEntry {
  device: string;
  inserted?: { image: { "virtual-size": number } };
}

/** A CC value with EN=0 but other fields set: the controller stores it, and a reset clears it. */
const CC_WITHOUT_ENABLE = 0x0046_0000;

describe.skipIf(!hasQemu)("QemuTarget (real QEMU)", () => {
  let target: QemuTarget;
  beforeAll(async () => {
    target = await createQemuTarget();
  });
  afterAll(async () => {
    await target?.close();
  });

  it("is named qemu and reads the same VS through mmioRead32 as through mmioRead64's low half", async () => {
    expect(target.name).toBe("qemu");
    const version = await target.mmioRead32(RegisterOffset.VS);
    expect(version >>> 16).toBeGreaterThanOrEqual(1);
    const capLow = Number((await target.mmioRead64(RegisterOffset.CAP)) & 0xffff_ffffn);
    expect(await target.mmioRead32(RegisterOffset.CAP)).toBe(capLow);
  });

  it("writes a register with mmioWrite32 and reads it back", async () => {
    await target.mmioWrite32(RegisterOffset.CC, CC_WITHOUT_ENABLE);
    expect(await target.mmioRead32(RegisterOffset.CC)).toBe(CC_WITHOUT_ENABLE);
    await target.mmioWrite32(RegisterOffset.CC, 0);
  });

  it("writes a 64-bit register with mmioWrite64 and reads it back", async () => {
    await target.mmioWrite64(RegisterOffset.ASQ, 0x1234_5000n);
    expect(await target.mmioRead64(RegisterOffset.ASQ)).toBe(0x1234_5000n);
  });

  it("moves 3 MiB of host memory through b64 exactly (more than one bulk chunk)", async () => {
    const size = 3 * 1024 * 1024 + 123;
    const address = await target.alloc(size);
    const data = new Uint8Array(size).map((_, index) => (index * 7 + 3) & 0xff);
    await target.memWrite(address, data);
    expect(Buffer.compare(await target.memRead(address, size), data)).toBe(0);
  });

  it("hands out page-aligned, non-overlapping host memory", async () => {
    const first = await target.alloc(100);
    const second = await target.alloc(100);
    expect(first % 4096n).toBe(0n);
    expect(second - first).toBeGreaterThanOrEqual(4096n);
  });

  it("settle() returns (a clock step under qtest, a round trip under tcg)", async () => {
    await expect(target.settle()).resolves.toBeUndefined();
  });

  it("functionReset() is a system_reset (MC-40): CC returns to 0 and BAR0 works again", async () => {
    await target.mmioWrite32(RegisterOffset.CC, CC_WITHOUT_ENABLE);
    await target.functionReset();
    expect(await target.mmioRead32(RegisterOffset.CC)).toBe(0);
    expect((await target.mmioRead32(RegisterOffset.VS)) >>> 16).toBeGreaterThanOrEqual(1);
  });

  it("powerCycle() by restart (MC-42) runs a new QEMU and keeps host memory", async () => {
    const address = await target.alloc(4096);
    await target.memWrite(address, new Uint8Array([1, 2, 3, 4]));
    await target.mmioWrite32(RegisterOffset.CC, CC_WITHOUT_ENABLE);
    const before = target.instance.pid;
    await target.powerCycle();
    expect(target.instance.pid).not.toBe(before);
    expect(processExists(before)).toBe(false);
    expect([...(await target.memRead(address, 4))]).toEqual([1, 2, 3, 4]);
    expect(await target.mmioRead32(RegisterOffset.CC)).toBe(0);
  });
});

describe.skipIf(!hasQemu)("QemuTarget life cycle (real QEMU)", () => {
  it("close() leaves no QEMU process behind and is idempotent", async () => {
    const target = await createQemuTarget({ machine: "pc", namespaceBytes: 0 });
    const pid = target.instance.pid;
    await target.close();
    await target.close();
    expect(processExists(pid)).toBe(false);
  });

  it("uses PIO config access on pc and ECAM on q35 by default, with the same BAR0", async () => {
    const onPc = await createQemuTarget({ machine: "pc" });
    const onQ35 = await createQemuTarget({ machine: "q35" });
    try {
      expect(onPc.device.config.kind).toBe("pio");
      expect(onQ35.device.config.kind).toBe("ecam");
      expect(onPc.bar0Address).toBe(onQ35.bar0Address);
    } finally {
      await Promise.all([onPc.close(), onQ35.close()]);
    }
  });

  it("rejects guest RAM too small to hold the host-memory window at 4 GiB, naming the option", async () => {
    await expect(createQemuTarget({ memory: "128M" })).rejects.toThrow(
      /memory must give guest RAM at 0x100000000/,
    );
  });

  it("declares an unmapped host address for the DMA-failure scenario (MC-7) and keeps host memory at 4 GiB", async () => {
    const target = await createQemuTarget({ namespaceBytes: 0 });
    try {
      expect(target.capabilities.unmappedAddress).toBe(UNMAPPED_HOST_ADDRESS);
      expect(await target.alloc(1)).toBe(DEFAULT_FLAT_MEMORY_BASE);
    } finally {
      await target.close();
    }
  });

  it("rejects a boot-partition size that is not a multiple of 128 KiB, naming the field", async () => {
    await expect(createQemuTarget({ bootPartition: { bpSizeBytes: 1000 } })).rejects.toThrow(
      /bootPartition.bpSizeBytes must be a positive multiple of 128 KiB/,
    );
  });

  it("the factory refuses RPMB mode with TargetUnsupportedError (MC-34 is core-only)", async () => {
    const factory = createQemuTargetFactory();
    await expect(factory({ rpmb: { locked: [true, true] } })).rejects.toMatchObject({
      name: "TargetUnsupportedError",
      code: "TARGET_UNSUPPORTED",
    });
  });

  it.skipIf(!unpatchedQemuPath)(
    "the factory skips scenarios on a QEMU without boot partitions, naming the build command",
    async () => {
      const factory = createQemuTargetFactory({ binary: unpatchedQemuPath as string });
      const error = await factory({}).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ name: "TargetUnsupportedError", code: "TARGET_UNSUPPORTED" });
      expect((error as Error).message).toContain(`${unpatchedQemuPath} (option) has no nvme "bootpart"`);
      expect((error as Error).message).toContain(QEMU_BUILD_COMMAND);
    },
  );
});

describe("findPatchedQemu", () => {
  it("turns a missing binary into TargetUnsupportedError naming the build command", async () => {
    const error = await findPatchedQemu({ binary: "/nonexistent/qemu-system-x86_64" }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TargetUnsupportedError);
    expect((error as Error).message).toMatch(/\/nonexistent\/qemu-system-x86_64 .*not an executable file/);
    expect((error as Error).message).toContain(QEMU_BUILD_COMMAND);
  });
});

describe.skipIf(!qemuHasBootPartitions)("QemuTarget boot-partition image (patched QEMU)", () => {
  const bpSizeBytes = 2 * BOOT_PARTITION_UNIT_BYTES;

  it("creates a fresh image as two BPs plus the 4 KiB ABPID metadata block", async () => {
    const target = await createQemuTarget({ bootPartition: { bpSizeBytes } });
    try {
      const drives = await target.instance.qmp.execute<QueryBlockEntry[]>("query-block");
      const bootpart = drives.find((drive) => drive.device === "bp0");
      expect(bootpart?.inserted?.image["virtual-size"]).toBe(2 * bpSizeBytes + BOOTPART_METADATA_BYTES);
      expect(bootPartitionImageBytes(bpSizeBytes)).toBe(2 * bpSizeBytes + BOOTPART_METADATA_BYTES);
    } finally {
      await target.close();
    }
  });

  it("keeps ABPID across a restart power cycle (MC-41, MC-42) and BPSZ ignores the metadata block", async () => {
    const target = await createQemuTarget({ bootPartition: { bpSizeBytes } });
    try {
      const driver = await NvmeHostDriver.attach(target);
      expect((await driver.firmwareCommit(CommitAction.ActivateBootPartition, 1)).status).toBe("0h/00h");
      const before = target.instance.pid;
      await target.powerCycle();
      expect(target.instance.pid).not.toBe(before);
      const bpinfo = bpinfoCodec.decode(await target.mmioRead32(RegisterOffset.BPINFO));
      expect(bpinfo).toMatchObject({ abpid: 1, bpsz: bpSizeBytes / BOOT_PARTITION_UNIT_BYTES });
    } finally {
      await target.close();
    }
  });
});

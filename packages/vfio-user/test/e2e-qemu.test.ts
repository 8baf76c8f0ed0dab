// End to end: QEMU 10.2.2's unmodified vfio-user-pci device backed by the TS controller through
// this package's server. The host driver enumerates, enables, runs Identify and reads a BP through
// BPRSEL/BPMBL and through log 15h, with guest RAM reached by DMA messages (anonymous RAM) and by
// guest-memory fds (shared RAM); every result must equal the same operation on the in-process core.
import { createMemoryStore } from "@bplab/controller";
import { NvmeHostDriver, type Target } from "@bplab/host";
import { createInProcessTarget } from "@bplab/in-process-target";
import { BpWriteProtectionState } from "@bplab/nvme-spec";
import { afterEach, describe, expect, it } from "vitest";
import type { VfioUserTarget } from "../src/index.js";
import { createVfioQemuTarget, qemuSkipReason } from "./helpers/qemu.js";

const BP_BYTES = 256 * 1024;
const READ_BYTES = 64 * 1024;

const IMAGE = new Uint8Array(BP_BYTES).map((_, i) => (i * 7 + (i >> 9)) & 0xff);

/** A store whose BP0 holds a recognisable pattern, so a read proves where its bytes came from. */
function patternedStore() {
  const store = createMemoryStore({ bpSizeBytes: BP_BYTES });
  const image = IMAGE.slice();
  store.bootPartitions.stageWrite(0, image);
  store.bootPartitions.commitStaged(0);
  return store;
}

async function observe(target: Target) {
  const driver = await NvmeHostDriver.attach(target);
  const identify = await driver.identifyControllerRaw();
  const viaRegisters = await driver.bpReadViaRegisters(0, 4096, READ_BYTES);
  const viaLog = await driver.bpReadViaLog(0, 8192, READ_BYTES);
  return { identify, viaRegisters, viaLog };
}

let open: VfioUserTarget | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe.skipIf(qemuSkipReason !== undefined)("QEMU vfio-user-pci backed by the TS controller", () => {
  for (const sharedRam of [false, true]) {
    it(`runs Identify and BP reads like the in-process core (${sharedRam ? "shared RAM, fds" : "anonymous RAM, DMA messages"})`, async () => {
      const core = await observe(createInProcessTarget({ store: patternedStore() }));
      open = await createVfioQemuTarget({
        sharedRam,
        server: { store: patternedStore(), log: () => undefined },
      });
      const vfio = await observe(open);
      expect(vfio.identify.ok && vfio.viaRegisters.ok && vfio.viaLog.ok).toBe(true);
      expect(Buffer.from(vfio.viaRegisters.data)).toEqual(
        Buffer.from(IMAGE.subarray(4096, 4096 + READ_BYTES)),
      );
      expect(Buffer.from(vfio.viaLog.data)).toEqual(Buffer.from(IMAGE.subarray(8192, 8192 + READ_BYTES)));
      expect(vfio).toEqual(core);
      const stats = open.server.stats;
      if (!sharedRam) {
        // Anonymous RAM: QEMU passed no fd, so every DMA was a message.
        expect(open.server.maps.list().every((map) => map.fd === undefined)).toBe(true);
        expect(stats.dmaMessages).toBeGreaterThan(0);
      } else if (open.server.passesFds) {
        // Guest RAM arrived as fds: every DMA was a pread/pwrite, no DMA message was needed.
        expect(open.server.maps.list().some((map) => map.fd !== undefined)).toBe(true);
        expect(stats.dmaMessages).toBe(0);
      } else console.warn("[vfio-user] shared-RAM run without fd passing: DMA went through messages");
    });
  }

  it("raises MSI-X through the SET_IRQS eventfd: QEMU writes the guest's message", async () => {
    open = await createVfioQemuTarget({
      sharedRam: false,
      server: { store: patternedStore(), log: () => undefined },
    });
    if (!open.server.passesFds) {
      console.warn("[vfio-user] skipping the MSI-X check: no fd passing (usocket not built), so no eventfds");
      return;
    }
    // An MSI-X address in RAM (not the LAPIC window): QEMU's MSI write lands where qtest can read it.
    const message = await open.alloc(4096);
    await open.device.enableMsix([{ address: message, data: 0x00c0ffee }]);
    const driver = await NvmeHostDriver.attach(open);
    expect((await driver.identifyControllerRaw()).ok).toBe(true);
    expect(open.server.stats.interruptsRaised).toBeGreaterThan(0);
    const written = Buffer.from(await open.memRead(message, 4)).readUInt32LE(0);
    expect(written).toBe(0x00c0ffee);
  });

  it("system_reset (DEVICE_RESET) keeps a BP unlocked; a new QEMU process is a power cycle that relocks it (MC-69)", async () => {
    open = await createVfioQemuTarget({
      sharedRam: false,
      server: { store: patternedStore(), log: () => undefined },
    });
    const driver = await NvmeHostDriver.attach(open);
    expect((await driver.setBpLock(0, BpWriteProtectionState.WriteUnlocked)).ok).toBe(true);
    expect((await driver.getBpWriteProtection()).bp0).toBe(BpWriteProtectionState.WriteUnlocked);

    await open.systemReset();
    await driver.reattach();
    expect((await driver.getBpWriteProtection()).bp0).toBe(BpWriteProtectionState.WriteUnlocked);

    await open.restart();
    await driver.reattach({ reallocate: true });
    expect((await driver.getBpWriteProtection()).bp0).toBe(BpWriteProtectionState.WriteLocked);
    expect(open.server.stats.clients).toBe(2);
  });

  it("DMA messages carry the data at byte 28: the spec layout (byte 32) shifts it by 4 against QEMU", async () => {
    const pattern = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const seen: Record<string, { read: number[]; written: number[] }> = {};
    for (const dmaLayout of ["qemu", "spec"] as const) {
      open = await createVfioQemuTarget({ sharedRam: false, server: { dmaLayout, log: () => undefined } });
      const address = await open.alloc(4096);
      await open.memWrite(address, pattern);
      // The test is not QEMU's process, so the server's synchronous DMA can run from here.
      const read = [...open.server.hostMemory.read(address, 16)];
      open.server.hostMemory.write(
        address + 0x100n,
        Uint8Array.from(pattern, (byte) => byte + 0xa0),
      );
      const written = [...(await open.memRead(address + 0x100n, 16))];
      seen[dmaLayout] = { read, written };
      await open.close();
      open = undefined;
    }
    expect(seen.qemu).toEqual({ read: [...pattern], written: [...pattern].map((byte) => byte + 0xa0) });
    // Read at 32, the spec layout loses QEMU's first 4 bytes; written at 32, QEMU stores the
    // count's upper half (zeros) first and drops the last 4 bytes.
    expect(seen.spec?.read.slice(0, 12)).toEqual([...pattern.slice(4)]);
    expect(seen.spec?.written).toEqual([0, 0, 0, 0, ...[...pattern.slice(0, 12)].map((byte) => byte + 0xa0)]);
  });
});

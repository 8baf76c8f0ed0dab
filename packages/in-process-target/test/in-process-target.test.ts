import { bpRegisterRead, DEFAULT_MAX_POLLS, NvmeHostDriver } from "@bplab/host";
import {
  BOOT_PARTITION_UNIT_BYTES,
  BootReadStatus,
  BpWriteProtectionState,
  bpinfoCodec,
  bprselCodec,
  CommitAction,
  cstsCodec,
  LogPageId,
  RegisterOffset,
} from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { createInProcessTarget, inProcessTargetFactory } from "../src/in-process-target.js";

const { WriteUnlocked, WriteLocked, RpmbControlled } = BpWriteProtectionState;

describe("the in-process target", () => {
  it("runs device work only in settle(): a BP read stays at BRS=01b until then", async () => {
    const target = createInProcessTarget();
    const buffer = await target.alloc(4096, 4096);
    await target.mmioWrite64(RegisterOffset.BPMBL, buffer);
    await target.mmioWrite32(RegisterOffset.BPRSEL, bprselCodec.encode({ bpid: 0, bprof: 0, bprsz: 1 }));
    expect(bpinfoCodec.decode(await target.mmioRead32(RegisterOffset.BPINFO)).brs).toBe(
      BootReadStatus.Reading,
    );
    await target.settle();
    expect(bpinfoCodec.decode(await target.mmioRead32(RegisterOffset.BPINFO)).brs).toBe(
      BootReadStatus.Success,
    );
  });

  it("turns a DMA outside host memory into DmaError inside the core, which ends the read with BRS=11b", async () => {
    const target = createInProcessTarget();
    const result = await bpRegisterRead(
      target,
      { bpid: 0, bprofUnits: 0, bprszUnits: 1, bufferAddr: target.capabilities.unmappedAddress! },
      DEFAULT_MAX_POLLS,
    );
    expect(result.brs).toBe(BootReadStatus.Error);
  });

  it("maps powerCycle() to the core's power cycle and functionReset() to its Controller Level Reset", async () => {
    const target = createInProcessTarget();
    const driver = await NvmeHostDriver.attach(target);
    await driver.setBpWriteProtection({ bp0: WriteUnlocked, bp1: WriteUnlocked });
    await target.functionReset();
    expect(cstsCodec.decode(await target.mmioRead32(RegisterOffset.CSTS)).rdy).toBe(false);
    await driver.reattach();
    expect(await driver.getBpWriteProtection()).toMatchObject({ bp0: WriteUnlocked, bp1: WriteUnlocked });
    await target.powerCycle();
    await driver.reattach();
    expect(await driver.getBpWriteProtection()).toMatchObject({ bp0: WriteLocked, bp1: WriteLocked });
  });

  it("sizes the BPs from bpSizeBytes and refuses use after close", async () => {
    const target = createInProcessTarget({ bpSizeBytes: 5 * BOOT_PARTITION_UNIT_BYTES });
    expect(bpinfoCodec.decode(await target.mmioRead32(RegisterOffset.BPINFO)).bpsz).toBe(5);
    await target.close();
    await expect(target.mmioRead32(RegisterOffset.CAP)).rejects.toMatchObject({ code: "TARGET_CLOSED" });
  });

  it("the factory turns a scenario's RPMB request into the core's RPMB mode", async () => {
    const target = await inProcessTargetFactory()({ rpmb: { locked: [true, false] } });
    const driver = await NvmeHostDriver.attach(target);
    expect(await driver.getBpWriteProtection()).toMatchObject({ bp0: RpmbControlled, bp1: RpmbControlled });
  });
});

describe("NvmeHostDriver helpers on the in-process core", () => {
  const image = (size: number) => new Uint8Array(size).map((_, i) => (i * 31 + (i >> 12)) & 0xff);

  it("reads a BP bigger than MDTS through the log in several commands and through BPRSEL in several reads", async () => {
    const size = 8 * BOOT_PARTITION_UNIT_BYTES;
    const target = createInProcessTarget({ bpSizeBytes: size });
    const driver = await NvmeHostDriver.attach(target);
    const bytes = image(size);
    await driver.setBpWriteProtection({ bp0: WriteUnlocked, bp1: 0 });
    expect((await driver.firmwareImageDownload(bytes, await driver.maxTransferBytes())).ok).toBe(true);
    expect((await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0)).ok).toBe(true);
    const logCommandsBefore = driver.transcript.entries.filter((e) => e.kind === "command").length;
    const viaLog = await driver.bpReadViaLog(0, 0, size);
    const logCommands =
      driver.transcript.entries.filter((e) => e.kind === "command").length - logCommandsBefore;
    expect(viaLog.ok).toBe(true);
    expect(Buffer.from(viaLog.data).equals(Buffer.from(bytes))).toBe(true);
    expect(logCommands).toBe(size / (await driver.maxTransferBytes()));
    const viaRegisters = await driver.bpReadViaRegisters(0, 4096, size - 4096);
    expect(viaRegisters).toMatchObject({ ok: true, status: "BRS=10b" });
    expect(Buffer.from(viaRegisters.data).equals(Buffer.from(bytes.subarray(4096)))).toBe(true);
  });

  it("reads an odd byte range through the log (unaligned length, offset inside the BP)", async () => {
    const target = createInProcessTarget();
    const driver = await NvmeHostDriver.attach(target);
    const read = await driver.bpReadViaLog(1, 8, 10);
    expect(read).toMatchObject({ ok: true, status: "0h/00h" });
    expect(read.data).toHaveLength(10);
  });

  it("stops a register read at the first chunk that does not end with BRS=10b", async () => {
    const target = createInProcessTarget();
    const driver = await NvmeHostDriver.attach(target);
    const read = await driver.bpReadViaRegisters(0, 0, 2 * BOOT_PARTITION_UNIT_BYTES + 4096);
    expect(read).toMatchObject({ ok: false, status: "BRS=11b", brs: BootReadStatus.Error });
    await expect(driver.bpReadViaRegisters(0, 100, 4096)).rejects.toThrow(/4 KiB boundary/);
  });

  it("controllerReset() takes CC.EN 1→0 and brings the queues back so commands work again", async () => {
    const target = createInProcessTarget();
    const driver = await NvmeHostDriver.attach(target);
    await driver.controllerReset();
    const identify = await driver.identifyController();
    expect(identify.bpcap).toBeGreaterThan(0);
    expect(driver.transcript.format()).toMatch(/CC\.EN ← 0/);
  });
});

describe("reattach after a target lost its host memory", () => {
  it("allocates new queues and buffers when asked to reallocate, and uses them", async () => {
    const target = createInProcessTarget();
    const driver = await NvmeHostDriver.attach(target);
    await driver.bpReadViaRegisters(0, 0, 4096);
    await driver.getLogPage(LogPageId.BootPartition, 0, 0, 16);
    await target.powerCycle();
    const firstFreshByte = target.memory.baseAddress + BigInt(target.memory.allocatedBytes);
    await driver.reattach({ reallocate: true });
    expect(await target.mmioRead64(RegisterOffset.ASQ)).toBeGreaterThanOrEqual(firstFreshByte);
    await driver.bpReadViaRegisters(0, 0, 4096);
    expect(await target.mmioRead64(RegisterOffset.BPMBL)).toBeGreaterThanOrEqual(firstFreshByte);
    await driver.getLogPage(LogPageId.BootPartition, 0, 0, 16);
    const settled = target.memory.allocatedBytes;
    await driver.bpReadViaRegisters(0, 0, 4096);
    await driver.getLogPage(LogPageId.BootPartition, 0, 0, 16);
    expect(target.memory.allocatedBytes).toBe(settled);
  });
});

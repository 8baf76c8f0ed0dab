import {
  AdminOpcode,
  aqaCodec,
  BpWriteProtectionState,
  bpWriteProtectionCodec,
  buildGetFeatures,
  ccCodec,
  emptySqe,
  FeatureId,
  formatStatus,
  RegisterOffset,
  Status,
  type SubmissionQueueEntry,
  toNvmeStatus,
} from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { CommandAbortedByResetError, ControllerFatalError, HostTimeoutError } from "../src/driver/errors.js";
import { NvmeHostDriver } from "../src/driver/nvme-host-driver.js";
import { PRP_ENTRY_BYTES } from "../src/driver/prp.js";
import { outcomeOf } from "../src/driver/queue-driver.js";
import { type FakeCommandHandler, FakeTarget } from "./support/fake-target.js";

/**
 * A device that holds completions back until `size` commands are waiting, then completes them all
 * in one go (one CQ sweep sees a whole batch).
 */
function batchesOf(size: number): FakeCommandHandler {
  const held: SubmissionQueueEntry[] = [];
  return (sqe, target) => {
    held.push(sqe);
    if (held.length < size) return undefined;
    for (const waiting of held.splice(0, size)) target.complete(waiting, { dw0: waiting.cdw10 });
    return undefined;
  };
}

/** A command whose CDW10 carries a marker the fake device echoes back in DW0. */
function marked(marker: number): SubmissionQueueEntry {
  return { ...buildGetFeatures({ fid: 1 }), cdw10: marker };
}

describe("NvmeHostDriver bring-up", () => {
  it("disables, programs AQA/ASQ/ACQ and enables with 64-byte SQEs and 16-byte CQEs", async () => {
    const target = new FakeTarget();
    const driver = await NvmeHostDriver.attach(target, { adminQueueDepth: 8 });
    const cc = ccCodec.decode(await target.mmioRead32(RegisterOffset.CC));
    expect(cc).toMatchObject({ en: true, iosqes: 6, iocqes: 4, mps: 0, css: 0 });
    expect(driver.memoryPageSize).toBe(4096);
    expect((await driver.submitAdmin(marked(7))).dw0).toBe(7);
  });

  it("clamps the admin queue depth to CAP.MQES+1", async () => {
    const target = new FakeTarget({ mqes: 3 });
    const writes: number[] = [];
    const original = target.mmioWrite32.bind(target);
    target.mmioWrite32 = async (offset, value) => {
      if (offset === RegisterOffset.AQA) writes.push(value);
      return original(offset, value);
    };
    await NvmeHostDriver.attach(target, { adminQueueDepth: 64 });
    expect(aqaCodec.decode(writes[0]!)).toEqual({ asqs: 3, acqs: 3 });
  });

  it("throws ControllerFatalError when CSTS.CFS is set during enable", async () => {
    const attach = NvmeHostDriver.attach(new FakeTarget({ fatalOnEnable: true }));
    await expect(attach).rejects.toBeInstanceOf(ControllerFatalError);
    await expect(attach).rejects.toMatchObject({ code: "CONTROLLER_FATAL" });
  });

  it("rings doorbells at the CAP.DSTRD stride", async () => {
    const target = new FakeTarget({ dstrd: 2 });
    const offsets: number[] = [];
    const original = target.mmioWrite32.bind(target);
    target.mmioWrite32 = async (offset, value) => {
      if (offset >= RegisterOffset.DOORBELL_BASE) offsets.push(offset);
      return original(offset, value);
    };
    const driver = await NvmeHostDriver.attach(target);
    await driver.submitAdmin(marked(1));
    // SQ0 tail at 1000h, CQ0 head at 1000h + (4 << 2).
    expect(offsets).toEqual([0x1000, 0x1010]);
  });
});

describe("NvmeHostDriver completion queue handling", () => {
  it("keeps the phase tag right across many wrap-arounds of a small queue", async () => {
    const target = new FakeTarget();
    const driver = await NvmeHostDriver.attach(target, { adminQueueDepth: 4 });
    for (let i = 0; i < 23; i++) {
      const cqe = await driver.submitAdmin(marked(1000 + i));
      expect(cqe.dw0).toBe(1000 + i);
      // Entries 0..3 carry phase 1, 4..7 phase 0, and so on.
      expect(cqe.phase).toBe(Math.floor(i / 4) % 2 === 0 ? 1 : 0);
    }
    const cqHeads = target.doorbellWrites.filter((w) => w.kind === "cq-head").map((w) => w.value);
    expect(cqHeads.slice(0, 9)).toEqual([1, 2, 3, 0, 1, 2, 3, 0, 1]);
  });

  it("wraps correctly when completions arrive in batches that straddle the end of the queue", async () => {
    const target = new FakeTarget({ handler: batchesOf(3) });
    const driver = await NvmeHostDriver.attach(target, { adminQueueDepth: 4 });
    // Entries 0-2 in one batch, then 3, 0, 1 in the next: the second batch wraps and flips the phase.
    for (const batch of [
      [0, 1, 2],
      [3, 4, 5],
    ]) {
      const results = await Promise.all(batch.map((m) => driver.submitAdmin(marked(m))));
      expect(results.map((c) => c.dw0)).toEqual(batch);
    }
    const cqHeads = target.doorbellWrites.filter((w) => w.kind === "cq-head").map((w) => w.value);
    expect(cqHeads).toEqual([3, 2]);
  });

  it("gives each command its own completion and its own SQE, however many follow it", async () => {
    const target = new FakeTarget({
      handler: (sqe) => (sqe.cdw10 === 2 ? { status: Status.InvalidField, dw0: 2 } : { dw0: sqe.cdw10 }),
    });
    const driver = await NvmeHostDriver.attach(target, { adminQueueDepth: 4 });
    const first = await driver.submitAdmin(marked(1));
    const second = await driver.submitAdmin(marked(2));
    const held = [first, second];
    for (let i = 3; i < 9; i++) held.push(await driver.submitAdmin(marked(i)));
    expect(first).toMatchObject({ dw0: 1, cid: 0, status: { sct: 0, sc: 0 } });
    expect(second).toMatchObject({ dw0: 2, cid: 0, status: { sct: 0, sc: 2 } });
    expect(held.map((c) => c.dw0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // The device fetched each command's own bytes from the SQ, and the transcript still tells
    // every command and completion apart.
    expect(target.commands.slice(-8).map((sqe) => sqe.cdw10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const completions = driver.transcript.entries.filter((e) => e.kind === "completion");
    expect(completions.slice(-8).map((e) => (e.kind === "completion" ? e.dw0 : -1))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);
    expect(completions.slice(-8).map((e) => (e.kind === "completion" ? e.status : ""))).toEqual([
      "0h/00h",
      "0h/02h",
      "0h/00h",
      "0h/00h",
      "0h/00h",
      "0h/00h",
      "0h/00h",
      "0h/00h",
    ]);
  });

  it("waits for a free SQ slot instead of overrunning a full queue", async () => {
    const target = new FakeTarget();
    const driver = await NvmeHostDriver.attach(target, { adminQueueDepth: 4 });
    const results = await Promise.all([10, 11, 12, 13, 14, 15, 16].map((m) => driver.submitAdmin(marked(m))));
    expect(results.map((c) => c.dw0)).toEqual([10, 11, 12, 13, 14, 15, 16]);
    // A 4-entry queue holds at most 3 commands, so the device never saw more than 3 at once.
    expect(target.commands).toHaveLength(7);
  });

  it("matches completions to commands by CID even when the device completes them out of order", async () => {
    const held: SubmissionQueueEntry[] = [];
    const target = new FakeTarget({
      handler: (sqe) => {
        if (sqe.cdw10 === 1) {
          held.push(sqe);
          return undefined;
        }
        return { dw0: sqe.cdw10 };
      },
    });
    const driver = await NvmeHostDriver.attach(target);
    const slow = driver.submitAdmin(marked(1));
    const fast = await driver.submitAdmin(marked(2));
    expect(fast.dw0).toBe(2);
    expect(held).toHaveLength(1);
    // Complete the held command by hand: the fake device posts it now.
    target.complete(held[0]!, { dw0: 1 });
    expect((await slow).dw0).toBe(1);
  });

  it("reuses a CID as soon as its command completed, and never while it is in flight", async () => {
    const target = new FakeTarget();
    const driver = await NvmeHostDriver.attach(target);
    await driver.submitAdmin(marked(1));
    await driver.submitAdmin(marked(2));
    expect(target.commands.map((c) => c.cid)).toEqual([0, 0]);

    target.handlerOverride = batchesOf(3);
    await Promise.all([3, 4, 5].map((m) => driver.submitAdmin(marked(m))));
    expect(target.commands.slice(2).map((c) => c.cid)).toEqual([0, 1, 2]);
    target.handlerOverride = undefined;
    await driver.submitAdmin(marked(6));
    expect(target.commands.at(-1)!.cid).toBe(0);
  });

  it("gives up after a bounded number of polls with HostTimeoutError naming the command", async () => {
    const target = new FakeTarget({ handler: () => undefined });
    const driver = await NvmeHostDriver.attach(target, { maxPolls: 5 });
    const before = target.settleCount;
    const attempt = driver.submitAdmin({ ...emptySqe(AdminOpcode.KeepAlive) });
    await expect(attempt).rejects.toBeInstanceOf(HostTimeoutError);
    await expect(attempt).rejects.toMatchObject({ code: "HOST_TIMEOUT", polls: 5 });
    await expect(attempt).rejects.toThrow(/Keep Alive/);
    expect(target.settleCount - before).toBe(5);
  });

  it("fails a command still in flight when the driver resets its queues, and works again afterwards", async () => {
    const target = new FakeTarget({ handler: (sqe) => (sqe.cdw10 === 1 ? undefined : { dw0: sqe.cdw10 }) });
    const driver = await NvmeHostDriver.attach(target);
    const stuck = driver.submitAdmin(marked(1));
    const settled = stuck.then(
      () => "completed",
      (error: unknown) => error,
    );
    await driver.reattach();
    const outcome = await settled;
    expect(outcome).toBeInstanceOf(CommandAbortedByResetError);
    expect(outcome).toMatchObject({ code: "DRIVER_RESET" });
    expect((await driver.submitAdmin(marked(2))).dw0).toBe(2);
  });

  it("reports the status of a failed command without throwing", async () => {
    const target = new FakeTarget({ handler: () => ({ status: Status.BootPartitionWriteProhibited }) });
    const driver = await NvmeHostDriver.attach(target);
    const outcome = await driver.firmwareCommit(6, 1);
    expect(outcome).toMatchObject({ ok: false, status: "1h/1Eh" });
    expect(driver.transcript.format()).toMatch(/Boot Partition Write Prohibited/);
  });

  it("setBpLock changes one BP and sends 000b (no change) for the other", async () => {
    const sent: SubmissionQueueEntry[] = [];
    const target = new FakeTarget({
      handler: (sqe) => {
        sent.push(sqe);
        return {};
      },
    });
    const driver = await NvmeHostDriver.attach(target);
    expect((await driver.setBpLock(1, BpWriteProtectionState.WriteLocked)).ok).toBe(true);
    await driver.setBpLock(0, BpWriteProtectionState.WriteLockedUntilPowerCycle, { sv: true });
    const [bp1Locked, bp0Wlupc] = sent;
    expect(bp1Locked).toMatchObject({ opcode: AdminOpcode.SetFeatures });
    expect(bp1Locked!.cdw10).toBe(FeatureId.BootPartitionWriteProtection);
    expect(bpWriteProtectionCodec.decode(bp1Locked!.cdw11)).toEqual({
      bp0: BpWriteProtectionState.NoChange,
      bp1: BpWriteProtectionState.WriteLocked,
    });
    expect(bp0Wlupc!.cdw10 >>> 31).toBe(1); // SV
    expect(bpWriteProtectionCodec.decode(bp0Wlupc!.cdw11)).toEqual({
      bp0: BpWriteProtectionState.WriteLockedUntilPowerCycle,
      bp1: BpWriteProtectionState.NoChange,
    });
  });
});

describe("NvmeHostDriver data transfers", () => {
  it("describes a 3-page host-to-device buffer with PRP1 and a PRP list the device can walk", async () => {
    let seenPages: bigint[] = [];
    let seenBytes = new Uint8Array();
    const target: FakeTarget = new FakeTarget({
      handler: (sqe) => {
        const listBytes = target.memory.read(sqe.prp2, 2 * PRP_ENTRY_BYTES);
        const view = new DataView(listBytes.buffer, listBytes.byteOffset);
        seenPages = [sqe.prp1, view.getBigUint64(0, true), view.getBigUint64(PRP_ENTRY_BYTES, true)];
        seenBytes = new Uint8Array(seenPages.flatMap((p) => [...target.memory.read(p, 4096)]));
        return {};
      },
    });
    const driver = await NvmeHostDriver.attach(target);
    const image = new Uint8Array(3 * 4096).map((_, i) => (i * 7) & 0xff);
    const outcome = await driver.firmwareImageDownloadPiece(image, 0);
    expect(outcome.ok).toBe(true);
    expect(seenPages[1]! - seenPages[0]!).toBe(4096n);
    expect(seenPages[2]! - seenPages[1]!).toBe(4096n);
    expect(seenBytes).toEqual(image);
  });

  it("fills device-to-host buffers with the poison byte before each command when asked", async () => {
    const target = new FakeTarget({ handler: () => ({}) });
    const driver = await NvmeHostDriver.attach(target, { poisonReadBuffersWith: 0xa5 });
    const outcome = await driver.getLogPage(0x15, 0, 16n, 64);
    expect(outcome.data.every((b) => b === 0xa5)).toBe(true);
  });

  it("rejects lengths and offsets that are not whole dwords, naming the field", async () => {
    const driver = await NvmeHostDriver.attach(new FakeTarget());
    await expect(driver.getLogPage(0x15, 0, 0, 6)).rejects.toThrow(/length/);
    await expect(driver.firmwareImageDownloadPiece(new Uint8Array(8), 2)).rejects.toThrow(/offsetBytes/);
  });
});

describe("outcomeOf", () => {
  const completion = { dw0: 5, dw1: 0, sqhd: 0, sqid: 0, cid: 1, phase: 1 as const };

  it("formats each status the same way every time, and any status a caller builds by hand", () => {
    for (let round = 0; round < 2; round++) {
      expect(outcomeOf({ ...completion, status: toNvmeStatus(Status.Success) }).status).toBe("0h/00h");
      expect(outcomeOf({ ...completion, status: toNvmeStatus(Status.InvalidField) }).status).toBe("0h/02h");
    }
    const odd = { ...completion, status: { ...toNvmeStatus(Status.Success), sct: 9, sc: 0x1ff } };
    expect(outcomeOf(odd).status).toBe(formatStatus(odd.status));
  });
});

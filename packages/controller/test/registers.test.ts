import {
  aqaCodec,
  binarySpec,
  buildGetFeatures,
  CQE_SIZE_LOG2,
  capCodec,
  ccCodec,
  cstsCodec,
  FeatureId,
  RegisterOffset,
  SQE_SIZE_LOG2,
  sqTailDoorbellOffset,
} from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import type { InterruptSink } from "../src/ports.js";
import { createRig, kinds, type Rig, statusOf } from "./harness.js";

/** BAR0: CAP/VS/BPINFO values, CC.EN/CSTS.RDY, CSTS.CFS for malformed setup (MC-60), shutdown. */

function csts(rig: Rig) {
  return cstsCodec.decode(rig.controller.mmioRead32(RegisterOffset.CSTS));
}

describe("capabilities and identity registers", () => {
  it("advertises BPS, DSTRD=0, the configured MQES and TO, NVM CSS, MPSMIN=0 (CAP)", () => {
    const rig = createRig({ config: { maxQueueEntries: 256, readyTimeoutUnits: 20 } });
    const cap = capCodec.decode(rig.controller.mmioRead64(RegisterOffset.CAP));
    expect(cap).toMatchObject({
      bps: true,
      dstrd: 0,
      mqes: 255,
      to: 20,
      css: 1,
      mpsmin: 0,
      mpsmax: 4,
      cqr: true,
    });
    const low = rig.controller.mmioRead32(RegisterOffset.CAP);
    const high = rig.controller.mmioRead32(RegisterOffset.CAP + 4);
    expect((BigInt(high) << 32n) | BigInt(low)).toBe(rig.controller.mmioRead64(RegisterOffset.CAP));
  });

  it("reports NVMe 2.1 in VS and BPSZ/ABPID in BPINFO; both ignore writes", () => {
    const rig = createRig({ bpSizeBytes: 3 * 128 * 1024 });
    expect(rig.controller.mmioRead32(RegisterOffset.VS)).toBe(0x0002_0100);
    expect(rig.controller.mmioRead32(RegisterOffset.BPINFO)).toBe(3);
    rig.controller.mmioWrite32(RegisterOffset.BPINFO, 0xffff_ffff);
    rig.controller.mmioWrite32(RegisterOffset.VS, 0);
    expect(rig.controller.mmioRead32(RegisterOffset.BPINFO)).toBe(3);
    expect(rig.controller.mmioRead32(RegisterOffset.VS)).toBe(0x0002_0100);
  });

  it("reads reserved, NSSR and unaligned offsets as 0 and ignores writes to them", () => {
    const rig = createRig();
    rig.controller.mmioWrite32(RegisterOffset.NSSR, 0x4e56_4d65);
    expect(rig.controller.mmioRead32(RegisterOffset.NSSR)).toBe(0);
    expect(rig.controller.mmioRead32(0x38)).toBe(0);
    expect(rig.controller.mmioRead32(0x15)).toBe(0);
    rig.controller.mmioWrite32(0x16, 0xffff_ffff);
    expect(rig.controller.mmioRead32(RegisterOffset.CC)).toBe(0);
    expect(kinds(rig.events)).toContain("register.ignored");
  });

  it("drops AQA reserved bits and keeps every bit of ASQ/ACQ for dword and qword access", () => {
    const rig = createRig();
    rig.controller.mmioWrite32(RegisterOffset.AQA, 0xffff_ffff);
    expect(rig.controller.mmioRead32(RegisterOffset.AQA)).toBe(0x0fff_0fff);
    rig.controller.mmioWrite64(RegisterOffset.ASQ, 0x1234_5678_9abc_d000n);
    expect(rig.controller.mmioRead64(RegisterOffset.ASQ)).toBe(0x1234_5678_9abc_d000n);
    rig.controller.mmioWrite32(RegisterOffset.ACQ + 4, 0x1);
    rig.controller.mmioWrite32(RegisterOffset.ACQ, 0x2000);
    expect(rig.controller.mmioRead64(RegisterOffset.ACQ)).toBe(0x1_0000_2000n);
  });
});

describe("CC.EN and CSTS.RDY", () => {
  it("goes ready on CC.EN 0→1 and not ready on 1→0, which also removes the queues", () => {
    const rig = createRig();
    rig.host.enable();
    expect(csts(rig)).toMatchObject({ rdy: true, cfs: false });
    expect(statusOf(rig.host.submit(buildGetFeatures({ fid: FeatureId.Arbitration })))).toBe("0h/00h");
    rig.controller.mmioWrite32(RegisterOffset.CC, 0);
    expect(csts(rig).rdy).toBe(false);
    rig.controller.mmioWrite32(sqTailDoorbellOffset(0, 0), 1);
    expect(rig.events.at(-1)).toMatchObject({ kind: "doorbell.ignored" });
    // CC.EN 1→0 keeps AQA/ASQ/ACQ: enabling again needs no reprogramming.
    rig.controller.mmioWrite32(
      RegisterOffset.CC,
      ccCodec.encode({ en: true, iosqes: SQE_SIZE_LOG2, iocqes: CQE_SIZE_LOG2 }),
    );
    expect(csts(rig).rdy).toBe(true);
  });

  it("controllerReset() (FLR) also clears CC, AQA, ASQ and ACQ", () => {
    const rig = createRig();
    rig.host.enable();
    rig.controller.controllerReset();
    for (const offset of [
      RegisterOffset.CC,
      RegisterOffset.CSTS,
      RegisterOffset.AQA,
      RegisterOffset.ASQ,
      RegisterOffset.ACQ,
    ]) {
      expect(rig.controller.mmioRead32(offset)).toBe(0);
    }
  });

  it("works with 8 KiB pages (CC.MPS=1) and 8 KiB aligned admin queues", () => {
    const rig = createRig();
    const sq = rig.memory.alloc(8192, 8192);
    const cq = rig.memory.alloc(8192, 8192);
    rig.controller.mmioWrite32(RegisterOffset.AQA, aqaCodec.encode({ asqs: 3, acqs: 3 }));
    rig.controller.mmioWrite64(RegisterOffset.ASQ, sq);
    rig.controller.mmioWrite64(RegisterOffset.ACQ, cq);
    rig.controller.mmioWrite32(RegisterOffset.CC, ccCodec.encode({ en: true, mps: 1, iosqes: 6, iocqes: 4 }));
    expect(csts(rig)).toMatchObject({ rdy: true, cfs: false });
    expect(rig.events.find((event) => event.kind === "controller.ready")).toMatchObject({ pageSize: 8192 });
  });
});

describe("CSTS.CFS for a malformed queue setup (MC-60)", () => {
  const good = { asqs: 15, acqs: 15, asq: 0x10000n, acq: 0x20000n, cc: { en: true, iosqes: 6, iocqes: 4 } };
  const cases: Array<[string, Partial<typeof good>]> = [
    ["AQA.ASQS=0", { asqs: 0 }],
    ["AQA.ACQS=0", { acqs: 0 }],
    ["ASQ not page aligned", { asq: 0x10040n }],
    ["ACQ not page aligned", { acq: 0x20008n }],
    ["CC.MPS above MPSMAX", { cc: { ...good.cc, mps: 5 } as typeof good.cc }],
    [
      "ASQ aligned to 4 KiB but not to the 8 KiB page",
      { asq: 0x11000n, cc: { ...good.cc, mps: 1 } as typeof good.cc },
    ],
    ["CC.CSS not NVM", { cc: { ...good.cc, css: 0b001 } as typeof good.cc }],
    ["CC.AMS weighted round robin", { cc: { ...good.cc, ams: 0b001 } as typeof good.cc }],
    ["CC.IOSQES=0", { cc: { ...good.cc, iosqes: 0 } }],
    ["CC.IOCQES=5", { cc: { ...good.cc, iocqes: 5 } }],
  ];
  for (const [name, override] of cases) {
    it(`${name} → CFS=1, RDY=0; CC.EN=0 clears it`, () => {
      const rig = createRig();
      const setup = { ...good, ...override };
      rig.controller.mmioWrite32(RegisterOffset.AQA, aqaCodec.encode({ asqs: setup.asqs, acqs: setup.acqs }));
      rig.controller.mmioWrite64(RegisterOffset.ASQ, setup.asq);
      rig.controller.mmioWrite64(RegisterOffset.ACQ, setup.acq);
      rig.controller.mmioWrite32(RegisterOffset.CC, ccCodec.encode(setup.cc));
      expect(csts(rig)).toMatchObject({ rdy: false, cfs: true });
      expect(rig.events.find((event) => event.kind === "controller.fatal")).toBeDefined();
      rig.controller.mmioWrite32(RegisterOffset.CC, 0);
      expect(csts(rig)).toMatchObject({ rdy: false, cfs: false });
    });
  }

  it("an admin SQ in unmapped memory → CFS when the doorbell makes the controller fetch", () => {
    const rig = createRig();
    rig.controller.mmioWrite32(RegisterOffset.AQA, aqaCodec.encode({ asqs: 3, acqs: 3 }));
    rig.controller.mmioWrite64(RegisterOffset.ASQ, 0x4000_0000n);
    rig.controller.mmioWrite64(RegisterOffset.ACQ, 0x2000n);
    rig.controller.mmioWrite32(RegisterOffset.CC, ccCodec.encode({ en: true, iosqes: 6, iocqes: 4 }));
    expect(csts(rig).rdy).toBe(true);
    rig.controller.mmioWrite32(sqTailDoorbellOffset(0, 0), 1);
    rig.scheduler.runUntilIdle();
    expect(csts(rig).cfs).toBe(true);
  });
});

describe("shutdown (CC.SHN / CSTS.SHST)", () => {
  for (const shn of [0b01, 0b10]) {
    it(`SHN=${binarySpec(shn, 2)} reports shutdown complete, and clearing SHN returns SHST to 00b`, () => {
      const rig = createRig();
      rig.host.enable();
      const cc = rig.controller.mmioRead32(RegisterOffset.CC);
      rig.controller.mmioWrite32(RegisterOffset.CC, cc | (shn << 14));
      expect(csts(rig).shst).toBe(0b10);
      rig.controller.mmioWrite32(RegisterOffset.CC, cc);
      expect(csts(rig).shst).toBe(0b00);
    });
  }
});

describe("doorbells, CQ full and interrupts", () => {
  it("ignores a doorbell for a queue that does not exist or an index outside the queue", () => {
    const rig = createRig();
    rig.host.enable();
    rig.controller.mmioWrite32(sqTailDoorbellOffset(3, 0), 1);
    rig.controller.mmioWrite32(sqTailDoorbellOffset(0, 0), rig.host.adminEntries);
    expect(rig.events.filter((event) => event.kind === "doorbell.invalid")).toHaveLength(2);
    expect(rig.scheduler.pending).toBe(0);
  });

  it("stops fetching while the CQ is full and resumes when the host frees a slot", () => {
    const rig = createRig();
    rig.host.enable();
    const capacity = rig.host.adminEntries - 1;
    // Post one command more than the CQ can hold without ever reading completions.
    for (let index = 0; index < capacity; index++) {
      rig.host.post(buildGetFeatures({ fid: FeatureId.Arbitration }));
      rig.scheduler.runUntilIdle();
    }
    const completedBefore = rig.events.filter((event) => event.kind === "completion").length;
    expect(completedBefore).toBe(capacity);
    const lastCid = rig.host.post(buildGetFeatures({ fid: FeatureId.Arbitration }));
    rig.scheduler.runUntilIdle();
    expect(rig.events.filter((event) => event.kind === "completion")).toHaveLength(capacity);
    // Consuming one completion rings the CQ head doorbell; the waiting command runs.
    expect(rig.host.poll()).toBeDefined();
    rig.scheduler.runUntilIdle();
    expect(rig.events.filter((event) => event.kind === "completion").at(-1)).toMatchObject({ cid: lastCid });
  });

  it("asserts the admin vector on completion, deasserts when the host catches up, honours INTMS", () => {
    const log: string[] = [];
    const interrupts: InterruptSink = {
      assert: (vector) => log.push(`assert ${vector}`),
      deassert: (vector) => log.push(`deassert ${vector}`),
    };
    const rig = createRig({ interrupts });
    rig.host.enable();
    rig.host.submit(buildGetFeatures({ fid: FeatureId.Arbitration }));
    expect(log).toEqual(["assert 0", "deassert 0"]);
    log.length = 0;
    rig.controller.mmioWrite32(RegisterOffset.INTMS, 1);
    expect(rig.controller.mmioRead32(RegisterOffset.INTMS)).toBe(1);
    rig.host.post(buildGetFeatures({ fid: FeatureId.Arbitration }));
    rig.scheduler.runUntilIdle();
    expect(log).toEqual([]);
    rig.controller.mmioWrite32(RegisterOffset.INTMC, 1);
    expect(log).toEqual(["assert 0"]);
    expect(rig.controller.mmioRead32(RegisterOffset.INTMC)).toBe(0);
  });
});

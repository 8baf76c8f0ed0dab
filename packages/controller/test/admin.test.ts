import {
  AdminOpcode,
  buildAbort,
  buildAsyncEventRequest,
  buildCreateIoCq,
  buildCreateIoSq,
  buildDeleteIoCq,
  buildDeleteIoSq,
  buildGetFeatures,
  buildIdentify,
  buildKeepAlive,
  buildSetFeatures,
  Cns,
  decodeIdentifyController,
  decodeIdentifyNamespace,
  decodeNamespaceIdDescriptors,
  decodeNamespaceList,
  emptySqe,
  FeatureId,
  IDENTIFY_DATA_SIZE,
  LogPageId,
  NamespaceIdType,
} from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { getWriteProtection, readLog, setWriteProtection } from "./flows.js";
import { createRig, PAGE, type Rig, statusOf } from "./harness.js";

function enabledRig(options: Parameters<typeof createRig>[0] = {}): Rig {
  const rig = createRig(options);
  rig.host.enable();
  return rig;
}

function identify(rig: Rig, cns: number, nsid = 0, csi = 0) {
  const buffer = rig.memory.alloc(IDENTIFY_DATA_SIZE);
  const cqe = rig.host.submit(buildIdentify({ cns, nsid, csi, prp1: buffer }));
  return { cqe, data: rig.memory.read(buffer, IDENTIFY_DATA_SIZE) };
}

describe("Identify", () => {
  it("CNS 01h advertises the BP feature set honestly (OACS.FWDS, FRMW, LPA.LPEDS, FWUG, BPCAP, MDTS)", () => {
    const rig = enabledRig({ config: { fwug: 2, mdts: 5, serialNumber: "SN-42" } });
    const { cqe, data } = identify(rig, Cns.Controller);
    expect(statusOf(cqe)).toBe("0h/00h");
    const id = decodeIdentifyController(data);
    expect(id.oacs & 0b100).toBe(0b100);
    expect(id.frmw).toBe(0x03);
    expect(id.lpa).toBe(0x07);
    expect(id.fwug).toBe(2);
    expect(id.bpcap).toBe(0x05);
    expect(id.mdts).toBe(5);
    expect(id.sn).toBe("SN-42");
    expect(id.ver).toBe(rig.controller.mmioRead32(0x08));
    expect(id.nn).toBe(256);
    expect(id.sqes).toBe(0x66);
    expect(id.cqes).toBe(0x44);
    expect(id.oncs & 0b1100).toBe(0b1100);
    expect(id.elpe).toBe(3);
  });

  it("reports RPMBBPWPS=10b (BPCAP 06h) in RPMB mode", () => {
    const rig = enabledRig({ config: { rpmb: { enabled: true, locked: [true, true] } } });
    expect(decodeIdentifyController(identify(rig, Cns.Controller).data).bpcap).toBe(0x06);
  });

  it("CNS 00h describes namespace 1 with one LBA format; other NSIDs → Invalid Namespace", () => {
    const rig = enabledRig({ namespaceSizeBytes: 1024 * 1024 });
    const ns = decodeIdentifyNamespace(identify(rig, Cns.Namespace, 1).data);
    expect(ns.nsze).toBe(2048n);
    expect(ns.lbaf[0]?.lbads).toBe(9);
    expect(ns.dlfeat & 0b111).toBe(0b001);
    for (const nsid of [0, 2, 0xffff_ffff])
      expect(statusOf(identify(rig, Cns.Namespace, nsid).cqe)).toBe("0h/0Bh");
  });

  it("CNS 02h lists namespace 1 after NSID 0 and nothing after NSID 1", () => {
    const rig = enabledRig();
    expect(decodeNamespaceList(identify(rig, Cns.ActiveNamespaceList, 0).data)).toEqual([1]);
    expect(decodeNamespaceList(identify(rig, Cns.ActiveNamespaceList, 1).data)).toEqual([]);
    expect(statusOf(identify(rig, Cns.ActiveNamespaceList, 0xffff_fffe).cqe)).toBe("0h/0Bh");
  });

  it("CNS 03h gives an NGUID that matches Identify Namespace and a CSI descriptor", () => {
    const rig = enabledRig();
    const descriptors = decodeNamespaceIdDescriptors(identify(rig, Cns.NamespaceIdDescriptorList, 1).data);
    const nguid = descriptors.find((d) => d.nidt === NamespaceIdType.Nguid)!.nid;
    expect(nguid).toEqual(decodeIdentifyNamespace(identify(rig, Cns.Namespace, 1).data).nguid);
    expect(descriptors.find((d) => d.nidt === NamespaceIdType.Csi)?.nid).toEqual(Uint8Array.of(0));
  });

  it("answers the NVM command set specific CNS 05h/06h/07h for CSI 0 and rejects other CSIs", () => {
    const rig = enabledRig();
    expect(statusOf(identify(rig, Cns.CsiNamespace, 1, 0).cqe)).toBe("0h/00h");
    expect(statusOf(identify(rig, Cns.CsiController, 0, 0).cqe)).toBe("0h/00h");
    expect(decodeNamespaceList(identify(rig, Cns.CsiActiveNamespaceList, 0, 0).data)).toEqual([1]);
    expect(statusOf(identify(rig, Cns.CsiController, 0, 2).cqe)).toBe("0h/02h");
    expect(statusOf(identify(rig, 0x1c).cqe)).toBe("0h/02h");
  });
});

describe("Get / Set Features", () => {
  it("FID 85h: power-on Write Locked for both (12h); Set 09h then Get 09h", () => {
    const rig = enabledRig();
    expect(getWriteProtection(rig).dw0).toBe(0x12);
    expect(statusOf(setWriteProtection(rig, 0x09))).toBe("0h/00h");
    expect(getWriteProtection(rig).dw0).toBe(0x09);
    expect(rig.controller.getBpLockStates()).toEqual({ bp0: 1, bp1: 1 });
  });

  it("FID 85h: SV=1 → 1h/0Dh; NSID 1 → 1h/0Fh Feature Not Namespace Specific (MC-35)", () => {
    const rig = enabledRig();
    expect(statusOf(setWriteProtection(rig, 0x09, { sv: true }))).toBe("1h/0Dh");
    expect(statusOf(setWriteProtection(rig, 0x09, { nsid: 1 }))).toBe("1h/0Fh");
    expect(statusOf(setWriteProtection(rig, 0x09, { nsid: 0xffff_ffff }))).toBe("0h/00h");
    expect(getWriteProtection(rig, 3).dw0).toBe(0x04);
  });

  it("Number of Queues returns the configured allocation and refuses FFFFh", () => {
    const rig = enabledRig({ config: { maxIoQueues: 3 } });
    const cqe = rig.host.submit(buildSetFeatures({ fid: FeatureId.NumberOfQueues, cdw11: 0x000f_000f }));
    expect(cqe.dw0).toBe(0x0002_0002);
    expect(
      statusOf(rig.host.submit(buildSetFeatures({ fid: FeatureId.NumberOfQueues, cdw11: 0xffff }))),
    ).toBe("0h/02h");
    expect(rig.host.submit(buildGetFeatures({ fid: FeatureId.NumberOfQueues })).dw0).toBe(0x0002_0002);
  });

  it("stores Arbitration, Interrupt Coalescing, Async Event Config and VWC, and resets them on CC.EN 1→0", () => {
    const rig = enabledRig();
    const values: Array<[number, number]> = [
      [FeatureId.Arbitration, 0x0302_0103],
      [FeatureId.InterruptCoalescing, 0x0a05],
      [FeatureId.AsyncEventConfig, 0x1ff],
      [FeatureId.VolatileWriteCache, 0],
    ];
    for (const [fid, cdw11] of values) {
      expect(statusOf(rig.host.submit(buildSetFeatures({ fid, cdw11 })))).toBe("0h/00h");
      expect(rig.host.submit(buildGetFeatures({ fid })).dw0).toBe(cdw11);
    }
    expect(rig.host.submit(buildGetFeatures({ fid: FeatureId.VolatileWriteCache, sel: 1 })).dw0).toBe(1);
    rig.controller.mmioWrite32(0x14, 0);
    rig.host.forgetQueues();
    rig.host.enable();
    expect(rig.host.submit(buildGetFeatures({ fid: FeatureId.Arbitration })).dw0).toBe(0);
    expect(rig.host.submit(buildGetFeatures({ fid: FeatureId.VolatileWriteCache })).dw0).toBe(1);
  });

  it("Temperature Threshold keeps over and under thresholds apart and rejects absent sensors", () => {
    const rig = enabledRig();
    const over = rig.host.submit(buildGetFeatures({ fid: FeatureId.TemperatureThreshold }));
    expect(over.dw0 & 0xffff).toBe(343);
    rig.host.submit(buildSetFeatures({ fid: FeatureId.TemperatureThreshold, cdw11: (1 << 20) | 250 }));
    expect(
      rig.host.submit(buildGetFeatures({ fid: FeatureId.TemperatureThreshold, cdw11: 1 << 20 })).dw0 & 0xffff,
    ).toBe(250);
    expect(rig.host.submit(buildGetFeatures({ fid: FeatureId.TemperatureThreshold })).dw0 & 0xffff).toBe(343);
    const sensor3 = buildSetFeatures({ fid: FeatureId.TemperatureThreshold, cdw11: (3 << 16) | 300 });
    expect(statusOf(rig.host.submit(sensor3))).toBe("0h/02h");
  });

  it("Power Management refuses a power state above NPSS=0", () => {
    const rig = enabledRig();
    expect(statusOf(rig.host.submit(buildSetFeatures({ fid: FeatureId.PowerManagement, cdw11: 1 })))).toBe(
      "0h/02h",
    );
    expect(statusOf(rig.host.submit(buildSetFeatures({ fid: FeatureId.PowerManagement, cdw11: 0 })))).toBe(
      "0h/00h",
    );
  });

  it("unsupported FIDs (including 11h, not the BP feature) → Invalid Field; SV=1 on any → 1h/0Dh", () => {
    const rig = enabledRig();
    expect(
      statusOf(rig.host.submit(buildGetFeatures({ fid: FeatureId.NonOperationalPowerStateConfig }))),
    ).toBe("0h/02h");
    expect(statusOf(rig.host.submit(buildSetFeatures({ fid: 0x11, cdw11: 0x09 })))).toBe("0h/02h");
    expect(
      statusOf(rig.host.submit(buildSetFeatures({ fid: FeatureId.Arbitration, cdw11: 0, sv: true }))),
    ).toBe("1h/0Dh");
    const reservedSel = {
      ...buildGetFeatures({ fid: FeatureId.Arbitration }),
      cdw10: FeatureId.Arbitration | (4 << 8),
    };
    expect(statusOf(rig.host.submit(reservedSel))).toBe("0h/02h");
  });
});

describe("Get Log Page", () => {
  it("LID 15h: header with LID 15h, BPSZ and ABPID (no BRS), then the BP selected by LSP bit 0", () => {
    const rig = enabledRig();
    const { cqe, data } = readLog(rig, { lid: LogPageId.BootPartition, lsp: 0x7f, length: 32 });
    expect(statusOf(cqe)).toBe("0h/00h");
    expect(data[0]).toBe(0x15);
    expect(new DataView(data.buffer).getUint32(4, true)).toBe(1);
  });

  it("LID 15h offsets: unaligned → 0h/02h, past the log → 0h/02h, at the end → zeros (MC-50, MC-51)", () => {
    const rig = enabledRig();
    const size = 16 + rig.store.bootPartitions.bpSizeBytes;
    expect(statusOf(readLog(rig, { lid: LogPageId.BootPartition, lpo: 2n, length: 8 }).cqe)).toBe("0h/02h");
    expect(
      statusOf(readLog(rig, { lid: LogPageId.BootPartition, lpo: BigInt(size + 4), length: 8 }).cqe),
    ).toBe("0h/02h");
    const end = readLog(rig, { lid: LogPageId.BootPartition, lpo: BigInt(size), length: 8 });
    expect(statusOf(end.cqe)).toBe("0h/00h");
    expect(end.data.every((byte) => byte === 0)).toBe(true);
  });

  it("a transfer above MDTS → 0h/02h (MC-53); NUMDU reaches sizes above 64 Ki dwords (256 KiB)", () => {
    const rig = enabledRig({
      config: { mdts: 7 },
      memoryBytes: 8 * 1024 * 1024,
      bpSizeBytes: 8 * 128 * 1024,
    });
    expect(statusOf(readLog(rig, { lid: LogPageId.BootPartition, length: 512 * 1024 }).cqe)).toBe("0h/00h");
    expect(statusOf(readLog(rig, { lid: LogPageId.BootPartition, length: 512 * 1024 + 4 }).cqe)).toBe(
      "0h/02h",
    );
    const largeMdts = enabledRig({
      config: { mdts: 9 },
      memoryBytes: 8 * 1024 * 1024,
      bpSizeBytes: 8 * 128 * 1024,
    });
    expect(statusOf(readLog(largeMdts, { lid: LogPageId.BootPartition, length: 1024 * 1024 }).cqe)).toBe(
      "0h/00h",
    );
  });

  it("LID 00h lists 00h, 01h, 02h, 03h, 05h and 15h", () => {
    const rig = enabledRig();
    const view = new DataView(readLog(rig, { lid: LogPageId.SupportedLogPages, length: 1024 }).data.buffer);
    const supported = [...Array(256).keys()].filter((lid) => view.getUint32(lid * 4, true) & 1);
    expect(supported).toEqual([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x15]);
  });

  it("LID 01h records failed commands, newest first", () => {
    const rig = enabledRig();
    setWriteProtection(rig, 0x09, { sv: true });
    const data = readLog(rig, { lid: LogPageId.ErrorInformation, length: 64 }).data;
    const view = new DataView(data.buffer);
    expect(view.getBigUint64(0, true)).toBe(1n);
    expect((view.getUint16(12, true) >> 1) & 0x7ff).toBe(0x10d);
  });

  it("LID 02h counts namespace I/O and power cycles; LID 03h shows FR in slot 1", () => {
    const rig = enabledRig();
    rig.controller.powerCycle();
    rig.host.forgetQueues();
    rig.host.enable();
    const smart = new DataView(readLog(rig, { lid: LogPageId.SmartHealth, length: 512 }).data.buffer);
    expect(smart.getBigUint64(112, true)).toBe(1n);
    const slots = readLog(rig, { lid: LogPageId.FirmwareSlot, length: 512 }).data;
    expect(slots[0]).toBe(1);
    expect(new TextDecoder().decode(slots.subarray(8, 16))).toBe("1.0     ");
  });

  it("LID 04h Changed Namespace List is supported and empty: namespaces never change", () => {
    const rig = enabledRig();
    const log = readLog(rig, { lid: LogPageId.ChangedNamespaceList, length: 4096 });
    expect(statusOf(log.cqe)).toBe("0h/00h");
    expect(log.data.every((byte) => byte === 0)).toBe(true);
  });

  it("LID 05h marks supported admin and I/O opcodes", () => {
    const rig = enabledRig();
    const view = new DataView(
      readLog(rig, { lid: LogPageId.CommandsSupportedAndEffects, length: 4096 }).data.buffer,
    );
    expect(view.getUint32(AdminOpcode.FirmwareCommit * 4, true) & 1).toBe(1);
    expect(view.getUint32(AdminOpcode.FormatNvm * 4, true)).toBe(0);
    expect(view.getUint32(1024 + 0x01 * 4, true)).toBe(0b11);
    expect(
      statusOf(readLog(rig, { lid: LogPageId.CommandsSupportedAndEffects, length: 4096, csi: 1 }).cqe),
    ).toBe("0h/02h");
  });

  it("unsupported LIDs → Invalid Field 0h/02h; SMART per namespace (LPA.SMARTS=1); LID 15h ignores NSID (MC-55, MC-63)", () => {
    const rig = enabledRig();
    expect(statusOf(readLog(rig, { lid: 0x06, length: 64 }).cqe)).toBe("0h/02h");
    const perController = readLog(rig, { lid: LogPageId.SmartHealth, length: 512, nsid: 0xffff_ffff });
    const perNamespace = readLog(rig, { lid: LogPageId.SmartHealth, length: 512, nsid: 1 });
    expect(statusOf(perController.cqe)).toBe("0h/00h");
    expect(statusOf(perNamespace.cqe)).toBe("0h/00h");
    expect(perNamespace.data).toEqual(perController.data);
    expect(statusOf(readLog(rig, { lid: LogPageId.SmartHealth, length: 512, nsid: 2 }).cqe)).toBe("0h/0Bh");
    const boot = readLog(rig, { lid: LogPageId.BootPartition, length: 16, nsid: 1 });
    expect(statusOf(boot.cqe)).toBe("0h/00h");
    expect(boot.data[0]).toBe(0x15);
  });
});

describe("I/O queue management", () => {
  it("creates and deletes a queue pair, with the spec's error statuses", () => {
    const rig = enabledRig({ config: { maxIoQueues: 2, maxQueueEntries: 64, msixVectors: 2 } });
    const cq = rig.memory.alloc(PAGE);
    const sq = rig.memory.alloc(PAGE);
    const submit = (sqe: Parameters<typeof rig.host.submit>[0]) => statusOf(rig.host.submit(sqe));
    expect(submit(buildCreateIoSq({ qid: 1, qsize: 7, cqid: 1, prp1: sq }))).toBe("1h/00h");
    expect(submit(buildCreateIoCq({ qid: 3, qsize: 7, prp1: cq }))).toBe("1h/01h");
    expect(submit(buildCreateIoCq({ qid: 1, qsize: 64, prp1: cq }))).toBe("1h/02h");
    expect(submit(buildCreateIoCq({ qid: 1, qsize: 0, prp1: cq }))).toBe("1h/02h");
    expect(submit(buildCreateIoCq({ qid: 1, qsize: 7, prp1: cq, ien: true, iv: 2 }))).toBe("1h/08h");
    expect(submit(buildCreateIoCq({ qid: 1, qsize: 7, prp1: cq + 8n }))).toBe("0h/13h");
    expect(submit(buildCreateIoCq({ qid: 1, qsize: 7, prp1: cq, pc: false }))).toBe("0h/02h");
    expect(submit(buildCreateIoCq({ qid: 1, qsize: 7, prp1: cq, ien: true, iv: 1 }))).toBe("0h/00h");
    expect(submit(buildCreateIoCq({ qid: 1, qsize: 7, prp1: cq }))).toBe("1h/01h");
    expect(submit(buildCreateIoSq({ qid: 1, qsize: 7, cqid: 1, prp1: sq }))).toBe("0h/00h");
    expect(submit(buildSetFeatures({ fid: FeatureId.NumberOfQueues, cdw11: 0 }))).toBe("0h/0Ch");
    expect(submit(buildDeleteIoCq({ qid: 1 }))).toBe("1h/0Ch");
    expect(submit(buildDeleteIoSq({ qid: 2 }))).toBe("1h/01h");
    expect(submit(buildDeleteIoSq({ qid: 1 }))).toBe("0h/00h");
    expect(submit(buildDeleteIoCq({ qid: 1 }))).toBe("0h/00h");
    expect(submit(buildDeleteIoCq({ qid: 0 }))).toBe("1h/01h");
  });
});

describe("Abort, Asynchronous Event Request, Keep Alive, unknown and malformed commands", () => {
  it("keeps AERs outstanding up to the limit and aborts one with Command Abort Requested", () => {
    const rig = enabledRig();
    const cids = [1, 2, 3, 4].map(() => rig.host.post(buildAsyncEventRequest()));
    rig.scheduler.runUntilIdle();
    expect(rig.host.poll()).toBeUndefined();
    expect(statusOf(rig.host.submit(buildAsyncEventRequest()))).toBe("1h/05h");
    const abortCid = rig.host.post(buildAbort({ sqid: 0, abortCid: cids[1]! }));
    rig.scheduler.runUntilIdle();
    const aborted = rig.host.poll()!;
    expect(aborted.cid).toBe(cids[1]);
    expect(statusOf(aborted)).toBe("0h/07h");
    const abortDone = rig.host.poll()!;
    expect(abortDone).toMatchObject({ cid: abortCid, dw0: 0 });
    expect(rig.host.submit(buildAbort({ sqid: 0, abortCid: 999 })).dw0).toBe(1);
  });

  it("Keep Alive succeeds; unknown admin opcodes → Invalid Opcode; fused or SGL → Invalid Field", () => {
    const rig = enabledRig();
    expect(statusOf(rig.host.submit(buildKeepAlive()))).toBe("0h/00h");
    expect(statusOf(rig.host.submit(emptySqe(AdminOpcode.FormatNvm)))).toBe("0h/01h");
    expect(statusOf(rig.host.submit(emptySqe(0xc5)))).toBe("0h/01h");
    expect(statusOf(rig.host.submit({ ...buildKeepAlive(), fuse: 1 }))).toBe("0h/02h");
    expect(statusOf(rig.host.submit({ ...buildKeepAlive(), psdt: 1 }))).toBe("0h/02h");
  });
});

import { describe, expect, it } from "vitest";
import {
  BPCAP_LAB_DEFAULT,
  BPCAP_SFBPWPS,
  bpcapCodec,
  decodeIdentifyController,
  decodeIdentifyNamespace,
  decodeNamespaceIdDescriptors,
  decodeNamespaceList,
  encodeFlbas,
  encodeIdentifyController,
  encodeIdentifyNamespace,
  encodeNamespaceIdDescriptors,
  encodeNamespaceList,
  flbasFormatIndex,
  frmwCodec,
  IDENTIFY_CONTROLLER_DEFAULTS,
  IDENTIFY_DATA_SIZE,
  Lpa,
  logicalBlockSizeBytes,
  NAMESPACE_LIST_MAX,
  NamespaceIdType,
  NvmeSpecError,
  Oacs,
  RpmbBpWpSupport,
} from "../src/index.js";

describe("Identify Controller", () => {
  it("places the BP fields at the spec's byte offsets", () => {
    const data = encodeIdentifyController({ vid: 0x1234, mdts: 5, fwug: 0x02, bpcap: 0x05, cntlid: 0x4321 });
    expect(data.length).toBe(IDENTIFY_DATA_SIZE);
    expect(data[0]).toBe(0x34);
    expect(data[1]).toBe(0x12);
    expect(data[77]).toBe(5); // MDTS
    expect(data[78]! | (data[79]! << 8)).toBe(0x4321); // CNTLID
    expect(data[102]).toBe(0x05); // BPCAP
    expect(data[256]! & Oacs.FirmwareDownload).toBe(Oacs.FirmwareDownload); // OACS.FWDS
    expect(data[260]).toBe(0x03); // FRMW
    expect(data[261]! & Lpa.ExtendedData).toBe(Lpa.ExtendedData); // LPA.LPEDS
    expect(data[319]).toBe(0x02); // FWUG
    expect(data[512]).toBe(0x66); // SQES
    expect(data[513]).toBe(0x44); // CQES
    expect(data[516]).toBe(1); // NN
  });

  it("pads SN/MN/FR with spaces and SUBNQN with NULs, and strips them on decode", () => {
    const data = encodeIdentifyController({ sn: "SN1", subnqn: "nqn.x" });
    expect(data[4 + 3]).toBe(0x20);
    expect(data[768 + 5]).toBe(0);
    const decoded = decodeIdentifyController(data);
    expect(decoded.sn).toBe("SN1");
    expect(decoded.subnqn).toBe("nqn.x");
  });

  it("round-trips the defaults, which follow the model choices", () => {
    const decoded = decodeIdentifyController(encodeIdentifyController());
    expect(decoded).toEqual({ ...IDENTIFY_CONTROLLER_DEFAULTS, psd: [...IDENTIFY_CONTROLLER_DEFAULTS.psd] });
    expect(decoded.fwug).toBe(0x01);
    expect(decoded.mdts).toBe(7);
    expect(frmwCodec.decode(decoded.frmw)).toEqual({ ffsro: true, nofs: 1, fawr: false, smud: false });
    expect(bpcapCodec.decode(BPCAP_LAB_DEFAULT)).toEqual({
      rpmbbpwps: RpmbBpWpSupport.NotSupported,
      sfbpwps: true,
    });
    expect(BPCAP_LAB_DEFAULT & BPCAP_SFBPWPS).toBe(BPCAP_SFBPWPS);
  });

  it("rejects text that does not fit instead of truncating it", () => {
    expect(() => encodeIdentifyController({ sn: "X".repeat(21) })).toThrow(/SN length/);
    expect(() => encodeIdentifyController({ mn: "é" })).toThrow(NvmeSpecError);
    expect(() => encodeIdentifyController({ mdts: 256 })).toThrow(/MDTS must be an integer from 0 to 255/);
  });

  it("requires NPSS + 1 power state descriptors", () => {
    expect(() => encodeIdentifyController({ npss: 1 })).toThrow(/NPSS \+ 1/);
  });

  it("refuses a buffer shorter than 4096 bytes", () => {
    expect(() => decodeIdentifyController(new Uint8Array(100))).toThrow(/needs 4096 bytes, got 100/);
  });
});

describe("Identify Namespace", () => {
  it("stores LBA formats at 128 + 4n and FLBAS picks one", () => {
    const data = encodeIdentifyNamespace({
      nsze: 256n,
      ncap: 256n,
      nlbaf: 1,
      flbas: encodeFlbas(1),
      lbaf: [
        { ms: 0, lbads: 9, rp: 0 },
        { ms: 8, lbads: 12, rp: 1 },
      ],
    });
    expect(data[132]).toBe(8); // LBAF1.MS low byte
    expect(data[134]).toBe(12); // LBAF1.LBADS
    expect(data[135]).toBe(1); // LBAF1.RP
    const ns = decodeIdentifyNamespace(data);
    expect(ns.nsze).toBe(256n);
    expect(ns.lbaf).toHaveLength(2);
    expect(logicalBlockSizeBytes(ns)).toBe(4096);
  });

  it("splits a format index above 15 across FLBAS bits 3:0 and 6:5", () => {
    expect(encodeFlbas(17)).toBe(0b010_0001);
    expect(flbasFormatIndex(0b010_0001)).toBe(17);
    expect(encodeFlbas(2, true)).toBe(0b1_0010);
  });
});

describe("namespace lists", () => {
  it("round-trips an increasing NSID list and rejects disorder", () => {
    expect(decodeNamespaceList(encodeNamespaceList([1, 2, 7]))).toEqual([1, 2, 7]);
    expect(() => encodeNamespaceList([2, 1])).toThrow(/increasing/);
    expect(() => encodeNamespaceList([0])).toThrow(/increasing/);
  });

  it("decodes up to the first zero entry (entries after it are not NSIDs) or 1024 entries", () => {
    const data = new Uint8Array(4096);
    const view = new DataView(data.buffer);
    view.setUint32(0, 3, true);
    view.setUint32(8, 9, true);
    expect(decodeNamespaceList(data)).toEqual([3]);
    const full = new Uint8Array(4096).fill(0x01);
    expect(decodeNamespaceList(full)).toEqual(new Array(NAMESPACE_LIST_MAX).fill(0x0101_0101));
  });

  it("round-trips namespace identification descriptors", () => {
    const nguid = Uint8Array.from({ length: 16 }, (_, i) => i);
    const list = [
      { nidt: NamespaceIdType.Nguid, nid: nguid },
      { nidt: NamespaceIdType.Csi, nid: Uint8Array.of(0) },
    ];
    expect(decodeNamespaceIdDescriptors(encodeNamespaceIdDescriptors(list))).toEqual(list);
    expect(() =>
      encodeNamespaceIdDescriptors([{ nidt: NamespaceIdType.Uuid, nid: new Uint8Array(4) }]),
    ).toThrow(/16-byte NID/);
  });
});

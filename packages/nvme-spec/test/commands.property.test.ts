import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AdminOpcode,
  buildAbort,
  buildAsyncEventRequest,
  buildCreateIoCq,
  buildCreateIoSq,
  buildDeleteIoCq,
  buildDeleteIoSq,
  buildFirmwareCommit,
  buildFirmwareImageDownload,
  buildGetFeatures,
  buildGetLogPage,
  buildIdentify,
  buildKeepAlive,
  buildSetFeatures,
  decodeSqe,
  encodeSqe,
  parseAbort,
  parseCreateIoCq,
  parseCreateIoSq,
  parseDeleteQueue,
  parseFirmwareCommit,
  parseFirmwareImageDownload,
  parseGetFeatures,
  parseGetLogPage,
  parseIdentify,
  parseSetFeatures,
  type SubmissionQueueEntry,
} from "../src/index.js";

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });
const cid = u16;

/** Every SQE a builder makes must also survive the wire format. */
function viaWire(sqe: SubmissionQueueEntry): SubmissionQueueEntry {
  return decodeSqe(encodeSqe(sqe));
}

/**
 * Asserts that parse(viaWire(build(o))) gives back every option, plus `defaults`: the common
 * fields a command does not carry (NSID, PRPs) come back as 0.
 */
function expectRoundTrip<Options>(
  options: fc.Arbitrary<Options>,
  build: (o: Options) => SubmissionQueueEntry,
  parse: (sqe: SubmissionQueueEntry) => unknown,
  defaults: Record<string, unknown> = {},
): void {
  fc.assert(
    fc.property(options, (o) => {
      expect(parse(viaWire(build(o)))).toEqual({ ...o, ...defaults });
    }),
  );
}

describe("command builders and parsers (property)", () => {
  it("Get Log Page splits NUMD into NUMDL/NUMDU and LPO into LPOL/LPOU", () => {
    const options = fc.record({
      cid,
      lid: u8,
      lsp: fc.integer({ min: 0, max: 0x7f }),
      rae: fc.boolean(),
      numd: u32,
      lpo: u64,
      lsi: u16,
      csi: u8,
      ot: fc.boolean(),
      uuidIndex: fc.integer({ min: 0, max: 0x7f }),
      prp1: u64,
      prp2: u64,
    });
    fc.assert(
      fc.property(options, (o) => {
        const sqe = viaWire(buildGetLogPage(o));
        expect(sqe.opcode).toBe(AdminOpcode.GetLogPage);
        expect(sqe.cdw10 >>> 16).toBe(o.numd & 0xffff); // NUMDL
        expect(sqe.cdw11 & 0xffff).toBe(o.numd >>> 16); // NUMDU
        expect(sqe.cdw12).toBe(Number(o.lpo & 0xffff_ffffn)); // LPOL
        expect(sqe.cdw13).toBe(Number(o.lpo >> 32n)); // LPOU
        expect(parseGetLogPage(sqe)).toEqual({ ...o, nsid: 0 });
      }),
    );
  });

  it("Firmware Image Download keeps NUMD, OFST and the CDW12 hint", () => {
    const options = fc.record({ cid, numd: u32, ofst: u32, cdw12: u32, prp1: u64, prp2: u64 });
    fc.assert(
      fc.property(options, (o) => {
        const sqe = viaWire(buildFirmwareImageDownload(o));
        expect(sqe.opcode).toBe(AdminOpcode.FirmwareImageDownload);
        expect(parseFirmwareImageDownload(sqe)).toEqual({ ...o, nsid: 0 });
      }),
    );
  });

  it("Firmware Commit packs FS, CA and BPID into CDW10", () => {
    const options = fc.record({
      cid,
      fs: fc.integer({ min: 0, max: 7 }),
      ca: fc.constantFrom(0, 1, 2, 3, 6, 7),
      bpid: fc.integer({ min: 0, max: 1 }),
    });
    fc.assert(
      fc.property(options, (o) => {
        const sqe = viaWire(buildFirmwareCommit(o));
        expect(sqe.cdw10).toBe((o.bpid * 2 ** 31 + o.ca * 8 + o.fs) >>> 0);
        expect(parseFirmwareCommit(sqe)).toEqual({ ...o, nsid: 0, prp1: 0n, prp2: 0n });
      }),
    );
  });

  it("Identify carries CNS, CNTID, NSID, CNSSID, CSI and the UUID index", () => {
    const options = fc.record({
      cid,
      cns: u8,
      cntid: u16,
      nsid: u32,
      cnssid: u16,
      csi: u8,
      uuidIndex: fc.integer({ min: 0, max: 0x7f }),
      prp1: u64,
      prp2: u64,
    });
    expectRoundTrip(options, buildIdentify, parseIdentify);
  });

  it("Get and Set Features carry FID, SEL / SV and the feature dwords", () => {
    const get = fc.record({
      cid,
      fid: u8,
      sel: fc.integer({ min: 0, max: 3 }),
      nsid: u32,
      cdw11: u32,
      uuidIndex: fc.integer({ min: 0, max: 0x7f }),
    });
    expectRoundTrip(get, buildGetFeatures, parseGetFeatures, { prp1: 0n, prp2: 0n });
    const set = fc.record({
      cid,
      fid: u8,
      sv: fc.boolean(),
      nsid: u32,
      cdw11: u32,
      cdw12: u32,
      cdw13: u32,
      cdw15: u32,
      uuidIndex: fc.integer({ min: 0, max: 0x7f }),
      prp1: u64,
      prp2: u64,
    });
    expectRoundTrip(set, buildSetFeatures, parseSetFeatures);
  });

  it("queue management commands round-trip", () => {
    const cq = fc.record({
      cid,
      qid: u16,
      qsize: u16,
      pc: fc.boolean(),
      ien: fc.boolean(),
      iv: u16,
      prp1: u64,
      prp2: u64,
    });
    expectRoundTrip(cq, buildCreateIoCq, parseCreateIoCq, { nsid: 0 });
    const sq = fc.record({
      cid,
      qid: u16,
      qsize: u16,
      cqid: u16,
      pc: fc.boolean(),
      qprio: fc.integer({ min: 0, max: 3 }),
      nvmsetid: u16,
      prp1: u64,
      prp2: u64,
    });
    expectRoundTrip(sq, buildCreateIoSq, parseCreateIoSq, { nsid: 0 });
    fc.assert(
      fc.property(cid, u16, (c, qid) => {
        expect(parseDeleteQueue(viaWire(buildDeleteIoSq({ cid: c, qid }))).qid).toBe(qid);
        expect(viaWire(buildDeleteIoCq({ cid: c, qid })).opcode).toBe(AdminOpcode.DeleteIoCq);
      }),
    );
    fc.assert(
      fc.property(cid, u16, u16, (c, sqid, abortCid) => {
        expect(parseAbort(viaWire(buildAbort({ cid: c, sqid, abortCid })))).toMatchObject({
          cid: c,
          sqid,
          abortCid,
        });
      }),
    );
  });

  it("AER and Keep Alive carry only the opcode and CID", () => {
    fc.assert(
      fc.property(cid, (c) => {
        const aer = viaWire(buildAsyncEventRequest({ cid: c }));
        expect(aer).toMatchObject({ opcode: AdminOpcode.AsyncEventRequest, cid: c, cdw10: 0, cdw11: 0 });
        expect(viaWire(buildKeepAlive({ cid: c }))).toMatchObject({
          opcode: AdminOpcode.KeepAlive,
          cid: c,
          cdw10: 0,
        });
      }),
    );
  });
});

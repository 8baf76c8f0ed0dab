import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BOOT_PARTITION_LOG_HEADER_SIZE,
  bootPartitionLogOffset,
  type CommandEffects,
  type CompletionQueueEntry,
  cqHeadDoorbellOffset,
  decodeAcq,
  decodeAsq,
  decodeBootPartitionLogHeader,
  decodeBpmbl,
  decodeCommandsSupportedAndEffects,
  decodeCqe,
  decodeDoorbellOffset,
  decodeErrorInformationLog,
  decodeFirmwareSlotLog,
  decodeIdentifyController,
  decodeIdentifyNamespace,
  decodeSmartHealthLog,
  decodeSqe,
  decodeSupportedLogPages,
  type ErrorInformationEntry,
  encodeAcq,
  encodeAsq,
  encodeBootPartitionLogHeader,
  encodeBpmbl,
  encodeCommandsSupportedAndEffects,
  encodeCqe,
  encodeErrorInformationLog,
  encodeFirmwareSlotLog,
  encodeIdentifyController,
  encodeIdentifyNamespace,
  encodeSmartHealthLog,
  encodeSqe,
  encodeSupportedLogPages,
  SMART_HEALTH_DEFAULTS,
  type SubmissionQueueEntry,
  type SupportedLogPageEntry,
  sqTailDoorbellOffset,
} from "../src/index.js";

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });
const u128 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
const bit = fc.boolean();
const printable = (max: number) =>
  fc
    .string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max })
    .map((s) => s);
const fixedBytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const pageAligned = fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }).map((page) => page << 12n);

const sqeArbitrary: fc.Arbitrary<SubmissionQueueEntry> = fc.record({
  opcode: u8,
  fuse: fc.integer({ min: 0, max: 3 }),
  psdt: fc.integer({ min: 0, max: 3 }),
  cid: u16,
  nsid: u32,
  cdw2: u32,
  cdw3: u32,
  mptr: u64,
  prp1: u64,
  prp2: u64,
  cdw10: u32,
  cdw11: u32,
  cdw12: u32,
  cdw13: u32,
  cdw14: u32,
  cdw15: u32,
});

const cqeArbitrary: fc.Arbitrary<CompletionQueueEntry> = fc.record({
  dw0: u32,
  dw1: u32,
  sqhd: u16,
  sqid: u16,
  cid: u16,
  phase: fc.constantFrom(0 as const, 1 as const),
  status: fc.record({
    sct: fc.integer({ min: 0, max: 7 }),
    sc: u8,
    crd: fc.integer({ min: 0, max: 3 }),
    more: bit,
    dnr: bit,
  }),
});

describe("queue entries (property)", () => {
  it("SQE round-trips through 64 bytes", () => {
    fc.assert(
      fc.property(sqeArbitrary, (sqe) => {
        const bytes = encodeSqe(sqe);
        expect(bytes.length).toBe(64);
        expect(decodeSqe(bytes)).toEqual(sqe);
      }),
    );
  });

  it("SQE decode ignores CDW0 bits 13:10 and re-encodes without them", () => {
    fc.assert(
      fc.property(fixedBytes(64), (bytes) => {
        const again = encodeSqe(decodeSqe(bytes));
        const reservedMask = 0x3c; // CDW0 byte 1 bits 5:2 = CDW0 bits 13:10
        expect(again[1]).toBe(bytes[1]! & ~reservedMask);
        expect(again.subarray(2)).toEqual(bytes.subarray(2));
      }),
    );
  });

  it("CQE round-trips through 16 bytes, and any 16 bytes decode", () => {
    fc.assert(
      fc.property(cqeArbitrary, (cqe) => {
        expect(decodeCqe(encodeCqe(cqe))).toEqual(cqe);
      }),
    );
    fc.assert(
      fc.property(fixedBytes(16), (bytes) => {
        expect(encodeCqe(decodeCqe(bytes))).toEqual(bytes);
      }),
    );
  });
});

describe("registers with addresses (property)", () => {
  it("BPMBL, ASQ and ACQ round-trip 4 KiB aligned addresses and drop bits 11:0 (MC-4)", () => {
    fc.assert(
      fc.property(pageAligned, fc.integer({ min: 0, max: 0xfff }), (address, low) => {
        expect(decodeBpmbl(encodeBpmbl({ bmbba: address }))).toEqual({ bmbba: address });
        expect(decodeBpmbl(address | BigInt(low))).toEqual({ bmbba: address });
        expect(decodeAsq(encodeAsq({ asqb: address }))).toEqual({ asqb: address });
        expect(decodeAcq(encodeAcq({ acqb: address })).acqb).toBe(address);
      }),
    );
  });

  it("a doorbell offset decodes back to its queue for every stride", () => {
    fc.assert(
      fc.property(u16, fc.integer({ min: 0, max: 15 }), (qid, dstrd) => {
        expect(decodeDoorbellOffset(sqTailDoorbellOffset(qid, dstrd), dstrd)).toEqual({
          kind: "sq-tail",
          qid,
        });
        expect(decodeDoorbellOffset(cqHeadDoorbellOffset(qid, dstrd), dstrd)).toEqual({
          kind: "cq-head",
          qid,
        });
      }),
    );
  });
});

describe("data structures (property)", () => {
  it("Identify Controller round-trips the fields it carries", () => {
    const overrides = fc.record({
      vid: u16,
      ssvid: u16,
      sn: printable(20),
      mn: printable(40),
      fr: printable(8),
      mdts: u8,
      cntlid: u16,
      ver: u32,
      ctratt: u32,
      bpcap: u8,
      oacs: u16,
      acl: u8,
      aerl: u8,
      frmw: u8,
      lpa: u8,
      elpe: u8,
      fwug: u8,
      sqes: u8,
      cqes: u8,
      nn: u32,
      oncs: u16,
      tnvmcap: u128,
      subnqn: printable(256),
      fguid: fixedBytes(16),
    });
    fc.assert(
      fc.property(overrides, (fields) => {
        const decoded = decodeIdentifyController(encodeIdentifyController(fields));
        expect(decoded).toMatchObject(fields);
      }),
    );
  });

  it("Identify Namespace round-trips sizes and every LBA format", () => {
    const lbaf = fc.record({ ms: u16, lbads: u8, rp: fc.integer({ min: 0, max: 3 }) });
    const namespace = fc.array(lbaf, { minLength: 1, maxLength: 64 }).chain((formats) =>
      fc.record({
        nsze: u64,
        ncap: u64,
        nuse: u64,
        nlbaf: fc.constant(formats.length - 1),
        flbas: fc.integer({ min: 0, max: 0x7f }),
        nvmcap: u128,
        nguid: fixedBytes(16),
        eui64: fixedBytes(8),
        lbaf: fc.constant(formats),
      }),
    );
    fc.assert(
      fc.property(namespace, (fields) => {
        expect(decodeIdentifyNamespace(encodeIdentifyNamespace(fields))).toMatchObject(fields);
      }),
    );
  });

  it("Boot Partition log header round-trips and LPO is offset + 16", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x7fff }),
        fc.integer({ min: 0, max: 1 }),
        u32,
        (bpsz, abpid, offset) => {
          expect(decodeBootPartitionLogHeader(encodeBootPartitionLogHeader({ bpsz, abpid }))).toEqual({
            bpsz,
            abpid,
          });
          expect(bootPartitionLogOffset(offset)).toBe(
            BigInt(offset) + BigInt(BOOT_PARTITION_LOG_HEADER_SIZE),
          );
        },
      ),
    );
  });

  it("Supported Log Pages round-trips any set of entries", () => {
    const entry: fc.Arbitrary<SupportedLogPageEntry> = fc.record({
      lsupp: fc.constant(true),
      ios: bit,
      lidsp: u16,
    });
    fc.assert(
      fc.property(fc.dictionary(u8.map(String), entry), (record) => {
        const pages = new Map(Object.entries(record).map(([lid, value]) => [Number(lid), value]));
        expect(decodeSupportedLogPages(encodeSupportedLogPages(pages))).toEqual(pages);
      }),
    );
  });

  it("Commands Supported and Effects round-trips admin and I/O entries", () => {
    const effects: fc.Arbitrary<CommandEffects> = fc.record({
      csupp: fc.constant(true),
      lbcc: bit,
      ncc: bit,
      nic: bit,
      ccc: bit,
      cse: fc.integer({ min: 0, max: 7 }),
      uss: bit,
      csp: fc.integer({ min: 0, max: 0xfff }),
    });
    const table = fc
      .dictionary(u8.map(String), effects)
      .map((r) => new Map(Object.entries(r).map(([k, v]) => [Number(k), v])));
    fc.assert(
      fc.property(table, table, (admin, io) => {
        expect(decodeCommandsSupportedAndEffects(encodeCommandsSupportedAndEffects({ admin, io }))).toEqual({
          admin,
          io,
        });
      }),
    );
  });

  it("Error Information entries round-trip", () => {
    const entry: fc.Arbitrary<ErrorInformationEntry> = fc.record({
      errorCount: u64,
      sqid: u16,
      cid: u16,
      statusField: u16,
      parameterErrorLocation: u16,
      lba: u64,
      nsid: u32,
      vendorSpecificLid: u8,
      trtype: u8,
      commandSpecificInformation: u64,
      transportTypeSpecificInformation: u16,
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), (entries) => {
        expect(decodeErrorInformationLog(encodeErrorInformationLog(entries))).toEqual(entries);
      }),
    );
  });

  it("SMART / Health round-trips 128-bit counters and sensors", () => {
    fc.assert(
      fc.property(
        u128,
        u128,
        fc.array(u16, { minLength: 8, maxLength: 8 }),
        u16,
        (read, written, sensors, temp) => {
          const fields = {
            dataUnitsRead: read,
            dataUnitsWritten: written,
            temperatureSensors: sensors,
            compositeTemperature: temp,
          };
          expect(decodeSmartHealthLog(encodeSmartHealthLog(fields))).toEqual({
            ...SMART_HEALTH_DEFAULTS,
            ...fields,
          });
        },
      ),
    );
  });

  it("Firmware Slot round-trips AFI and revisions", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 7 }),
        fc.array(printable(8), { minLength: 7, maxLength: 7 }),
        (activeSlot, nextSlot, revisions) => {
          expect(decodeFirmwareSlotLog(encodeFirmwareSlotLog({ activeSlot, nextSlot, revisions }))).toEqual({
            activeSlot,
            nextSlot,
            revisions,
          });
        },
      ),
    );
  });
});

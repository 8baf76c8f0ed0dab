import { describe, expect, it } from "vitest";
import {
  ASYNC_EVENT_CONFIG_LAYOUT,
  AsyncEventType,
  arbitrationCodec,
  asyncEventConfigCodec,
  asyncEventDw0Codec,
  BOOT_PARTITION_LOG_HEADER_SIZE,
  BpWriteProtectionState,
  bootPartitionFromLsp,
  bootPartitionLogSize,
  bootPartitionLsp,
  bpWriteProtectionCodec,
  bpWriteProtectionStateName,
  CHANGED_NAMESPACE_LIST_MAX_ENTRIES,
  CHANGED_NAMESPACE_LIST_OVERFLOW,
  CHANGED_NAMESPACE_LIST_SIZE,
  decodeBootPartitionLogHeader,
  decodeBpWriteProtection,
  decodeChangedNamespaceList,
  emptySqe,
  encodeBootPartitionLogHeader,
  encodeChangedNamespaceList,
  FeatureId,
  featureCapabilitiesCodec,
  formatBpWriteProtection,
  interruptCoalescingCodec,
  isReservedBpWriteProtectionState,
  isValidBpWriteProtectionSetValue,
  LogPageId,
  LPA_LAB_DEFAULT,
  numberOfQueuesCodec,
  parseFirmwareCommit,
  parseGetLogPage,
  temperatureThresholdCodec,
  volatileWriteCacheCodec,
} from "../src/index.js";
import { KnownVectors } from "../src/testing/index.js";

describe("FID 85h Boot Partition Write Protection Config", () => {
  it("is FID 85h, not 11h (which is Non-Operational Power State Config)", () => {
    expect(FeatureId.BootPartitionWriteProtection).toBe(0x85);
    expect(FeatureId.NonOperationalPowerStateConfig).toBe(0x11);
  });

  it("uses BP0WPS bits 2:0 and BP1WPS bits 5:3, ignoring bits 31:6 (MC-32)", () => {
    expect(decodeBpWriteProtection(0xffff_ffc0 | KnownVectors.bpwpUnlockBothCdw11)).toEqual({
      bp0: 1,
      bp1: 1,
    });
    expect(decodeBpWriteProtection(KnownVectors.bpwpLockUntilPowerCycleBothCdw11)).toEqual({
      bp0: 3,
      bp1: 3,
    });
    expect(decodeBpWriteProtection(KnownVectors.bpwpDefaultDw0)).toEqual({ bp0: 2, bp1: 2 });
  });

  it("reports raw reserved values so a controller can answer Invalid Field (MC-30)", () => {
    expect(bpWriteProtectionCodec.decode(0b111_101)).toEqual({ bp0: 0b101, bp1: 0b111 });
    expect(bpWriteProtectionCodec.encode({ bp0: 0b110, bp1: 0 })).toBe(0b110);
    expect(isReservedBpWriteProtectionState(0b100)).toBe(false);
    expect(isReservedBpWriteProtectionState(0b101)).toBe(true);
    expect([0, 1, 2, 3, 4, 5, 6, 7].filter(isValidBpWriteProtectionSetValue)).toEqual([0, 1, 2, 3]);
  });

  it("names every state, including 000b (Set: no change) and 100b (Get: RPMB)", () => {
    expect(bpWriteProtectionStateName(BpWriteProtectionState.NoChange)).toBe("Change in state not requested");
    expect(bpWriteProtectionStateName(1)).toBe("Write Unlocked");
    expect(bpWriteProtectionStateName(2)).toBe("Write Locked");
    expect(bpWriteProtectionStateName(3)).toBe("Write Locked Until Power Cycle");
    expect(bpWriteProtectionStateName(4)).toBe("Write Protection controlled by RPMB");
    expect(bpWriteProtectionStateName(6)).toBe("Reserved (110b)");
    expect(formatBpWriteProtection(KnownVectors.bpwpRpmbDw0)).toBe(
      "BP0=Write Protection controlled by RPMB, BP1=Write Protection controlled by RPMB",
    );
  });

  it("SEL=011b capabilities for 85h are changeable only: 04h (MC-33)", () => {
    expect(featureCapabilitiesCodec.encode({ changeable: true })).toBe(KnownVectors.bpwpCapabilitiesDw0);
    expect(featureCapabilitiesCodec.decode(0b011)).toEqual({
      saveable: true,
      namespaceSpecific: true,
      changeable: false,
    });
  });
});

describe("other features", () => {
  it("encode at the spec's bit positions", () => {
    expect(numberOfQueuesCodec.encode({ nsq: 3, ncq: 7 })).toBe(0x0007_0003);
    expect(numberOfQueuesCodec.decode(0xffff_ffff)).toEqual({ nsq: 0xffff, ncq: 0xffff });
    expect(arbitrationCodec.decode(0x0302_0107)).toEqual({ ab: 7, lpw: 1, mpw: 2, hpw: 3 });
    expect(temperatureThresholdCodec.encode({ tmpth: 343, tmpsel: 1, thsel: 1 })).toBe(0x0011_0157);
    expect(volatileWriteCacheCodec.encode({ wce: true })).toBe(1);
    expect(interruptCoalescingCodec.encode({ thr: 4, time: 10 })).toBe(0x0a04);
    expect(
      asyncEventConfigCodec.encode({ smartCriticalWarnings: 0xff, firmwareActivationNotices: true }),
    ).toBe(0x2ff);
    expect(ASYNC_EVENT_CONFIG_LAYOUT.discoveryLogChangeNotices.lsb).toBe(31);
  });

  it("AER completion DW0 carries type, info and LID", () => {
    expect(asyncEventDw0Codec.decode(0x0003_0102)).toEqual({
      aet: AsyncEventType.Notice,
      aei: 1,
      lid: LogPageId.FirmwareSlot,
    });
  });
});

describe("Get Log Page 15h and the BP log", () => {
  it("takes BPID from LSP bit 0 and ignores LSP bits 6:1 (MC-52)", () => {
    expect(bootPartitionLsp(1)).toBe(1);
    expect(bootPartitionFromLsp(0b111_1110)).toBe(0);
    expect(bootPartitionFromLsp(0b000_0011)).toBe(1);
    const parsed = parseGetLogPage({ ...emptySqe(), cdw10: KnownVectors.getLogBp1Cdw10Numdl3fff });
    expect(parsed).toMatchObject({ lid: 0x15, lsp: 1, numd: 0x3fff });
  });

  it("header has LID 15h and no BRS (MC-54); the log is 16 + BPSZ x 128 KiB", () => {
    const header = encodeBootPartitionLogHeader({ bpsz: 2, abpid: 0 });
    expect(header[0]).toBe(0x15);
    header[7] = 0x03; // BRS (bits 25:24) plus bit 31 set in byte 7: BRS must be ignored
    expect(decodeBootPartitionLogHeader(header)).toEqual({ bpsz: 2, abpid: 0 });
    header[7] = 0x80;
    expect(decodeBootPartitionLogHeader(header).abpid).toBe(1);
    expect(bootPartitionLogSize(1)).toBe(BOOT_PARTITION_LOG_HEADER_SIZE + 131072);
  });

  it("Firmware Commit parse ignores reserved bits 30:6", () => {
    expect(parseFirmwareCommit({ ...emptySqe(0x10), cdw10: 0x7fff_ffc0 | 0x30 })).toMatchObject({
      ca: 6,
      bpid: 0,
      fs: 0,
    });
  });
});

describe("LID 04h Changed Namespace List", () => {
  it("lists NSIDs as little-endian dwords and stops at the first zero entry", () => {
    const bytes = encodeChangedNamespaceList([1, 0x1234_5678]);
    expect(bytes.length).toBe(CHANGED_NAMESPACE_LIST_SIZE);
    expect([...bytes.subarray(0, 9)]).toEqual([1, 0, 0, 0, 0x78, 0x56, 0x34, 0x12, 0]);
    expect(decodeChangedNamespaceList(bytes)).toEqual([1, 0x1234_5678]);
  });

  it("decodes up to the first zero entry, ignoring what follows it", () => {
    const bytes = encodeChangedNamespaceList([4]);
    new DataView(bytes.buffer).setUint32(8, 6, true);
    expect(decodeChangedNamespaceList(bytes)).toEqual([4]);
  });

  it("is all zero when no namespace changed", () => {
    expect(encodeChangedNamespaceList([]).every((b) => b === 0)).toBe(true);
  });

  it("overflows to a single FFFFFFFFh entry past 1024 NSIDs", () => {
    const many = Array.from({ length: CHANGED_NAMESPACE_LIST_MAX_ENTRIES + 1 }, (_, i) => i + 1);
    expect(decodeChangedNamespaceList(encodeChangedNamespaceList(many))).toEqual([
      CHANGED_NAMESPACE_LIST_OVERFLOW,
    ]);
  });

  it("rejects an NSID wider than 32 bits, naming the entry", () => {
    expect(() => encodeChangedNamespaceList([2 ** 32])).toThrow(/Changed Namespace List\[0\]/);
  });
});

describe("lab LPA default (MC-55)", () => {
  it("is 07h: SMART per namespace, CSES, LPEDS and no MLPS", () => {
    expect(LPA_LAB_DEFAULT).toBe(0x07);
  });
});

/**
 * The public API has one way to do each thing (issue 9): no encodeX/decodeX wrapper next to the
 * codec object that does the same, no unused exports, and none of the codec machinery.
 */
import { describe, expect, it } from "vitest";
import * as spec from "../src/index.js";

const exported = new Set(Object.keys(spec));

describe("the @bplab/nvme-spec index", () => {
  it("offers codec objects, not wrappers that only call them", () => {
    for (const codec of [
      "bpinfoCodec",
      "bprselCodec",
      "capCodec",
      "ccCodec",
      "statusFieldCodec",
      "arbitrationCodec",
    ])
      expect(exported.has(codec), codec).toBe(true);
    const wrappers = [
      ["encodeBpinfo", "decodeBpinfo"],
      ["encodeBprsel", "decodeBprsel"],
      ["encodeCap", "decodeCap", "encodeCc", "decodeCc", "encodeCsts", "decodeCsts"],
      ["encodeAqa", "decodeAqa", "encodeVs", "decodeVs", "encodeStatusField", "decodeStatusField"],
      ["encodeBpWriteProtectionRaw", "decodeBpWriteProtectionRaw", "encodeFeatureCapabilities"],
      ["encodeArbitration", "decodeArbitration", "encodePowerManagement", "decodePowerManagement"],
      ["encodeTemperatureThreshold", "decodeTemperatureThreshold", "encodeNumberOfQueues"],
      ["encodeVolatileWriteCache", "encodeInterruptCoalescing", "encodeAsyncEventConfig"],
    ].flat();
    expect(wrappers.filter((name) => exported.has(name))).toEqual([]);
  });

  it("keeps the functions that do more than a codec", () => {
    for (const name of ["encodeBpWriteProtection", "decodeBpmbl", "decodeCqe", "decodeIdentifyController"])
      expect(exported.has(name), name).toBe(true);
  });

  it("exports neither unused helpers nor the codec machinery", () => {
    const internal = [
      "readFlag",
      "writeFlag",
      "readBits",
      "writeBits",
      "checkU64",
      "BufferReader",
      "BufferWriter",
    ];
    const machinery = ["readStruct", "writeStruct", "u8", "nqn", "nameOrHex", "rejectReserved", "commandSqe"];
    expect([...internal, ...machinery, "describeCommitAction"].filter((name) => exported.has(name))).toEqual(
      [],
    );
  });
});

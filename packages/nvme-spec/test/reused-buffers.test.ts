import { describe, expect, it } from "vitest";
import {
  CQE_SIZE,
  cqePhase,
  createSqeEncoder,
  emptySqe,
  encodeCqe,
  encodeSqe,
  RegisterOffset,
  registerName,
  SQE_SIZE,
  Status,
  toNvmeStatus,
} from "../src/index.js";

describe("createSqeEncoder: one buffer for many entries", () => {
  const busy = {
    ...emptySqe(0x06, 0x1234),
    fuse: 1,
    psdt: 0,
    nsid: 0xffff_ffff,
    cdw2: 2,
    cdw3: 3,
    mptr: 0x1122_3344_5566_7788n,
    prp1: 0xdead_beef_0000n,
    prp2: 0xfeed_0000n,
    cdw10: 10,
    cdw11: 11,
    cdw12: 12,
    cdw13: 13,
    cdw14: 14,
    cdw15: 0xffff_ffff,
  };

  it("writes the same bytes as encodeSqe, and leaves nothing of the entry before", () => {
    const encode = createSqeEncoder();
    const first = encode(busy);
    expect(first.length).toBe(SQE_SIZE);
    expect(Array.from(first)).toEqual(Array.from(encodeSqe(busy)));
    const quiet = emptySqe(0x0a, 7);
    const second = encode(quiet);
    expect(second).toBe(first);
    expect(Array.from(second)).toEqual(Array.from(encodeSqe(quiet)));
  });

  it("still rejects a field that does not fit, naming it", () => {
    const encode = createSqeEncoder();
    expect(() => encode({ ...busy, cdw12: 2 ** 32 })).toThrow(/SQE\.CDW12/);
    expect(() => encode({ ...busy, prp1: -1n })).toThrow(/SQE\.PRP1/);
  });
});

describe("cqePhase reads the phase tag in place", () => {
  const completion = { dw0: 0, dw1: 0, sqhd: 3, sqid: 0, cid: 9, status: toNvmeStatus(Status.Success) };

  it("gives each entry's phase, at any offset of a larger buffer", () => {
    const queue = new Uint8Array(3 * CQE_SIZE);
    queue.set(encodeCqe({ ...completion, phase: 1 }), CQE_SIZE);
    queue.set(
      encodeCqe({ ...completion, phase: 0, status: toNvmeStatus(Status.InvalidField) }),
      2 * CQE_SIZE,
    );
    expect(cqePhase(queue, 0)).toBe(0);
    expect(cqePhase(queue, CQE_SIZE)).toBe(1);
    expect(cqePhase(queue, 2 * CQE_SIZE)).toBe(0);
    expect(cqePhase(queue.subarray(CQE_SIZE))).toBe(1);
  });

  it("throws a typed error for a buffer shorter than an entry", () => {
    expect(() => cqePhase(new Uint8Array(CQE_SIZE - 1))).toThrow(
      expect.objectContaining({ code: "BUFFER_SIZE" }),
    );
    expect(() => cqePhase(new Uint8Array(CQE_SIZE), 4)).toThrow(
      expect.objectContaining({ code: "BUFFER_SIZE" }),
    );
  });
});

describe("registerName", () => {
  it("names every register by its offset, and nothing for doorbells or unknown offsets", () => {
    for (const [name, offset] of Object.entries(RegisterOffset)) {
      if (name === "DOORBELL_BASE") continue;
      expect(RegisterOffset[registerName(offset)!]).toBe(offset);
    }
    expect(registerName(RegisterOffset.CC)).toBe("CC");
    expect(registerName(RegisterOffset.DOORBELL_BASE)).toBeUndefined();
    expect(registerName(0x0d)).toBeUndefined();
  });
});

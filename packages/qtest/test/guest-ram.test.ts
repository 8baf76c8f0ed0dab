// Guest RAM layout from QEMU's flat view, and the split of an access into file and socket pieces.
// The fixtures are `info mtree -f` of the patched QEMU 10.2.2 with 4 GiB in the shared backend.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GuestMemoryRangeError } from "../src/errors.js";
import { checkRamAccess, LEGACY_AREA_END, parseRamRanges, splitAccess } from "../src/qtest/guest-ram.js";
import {
  checkSharedRamMode,
  planSharedRam,
  SHARED_RAM_BACKEND_ID,
  sharedRamArgs,
} from "../src/shared-ram.js";

const GIB = 1n << 30n;
const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8");
const q35 = parseRamRanges(fixture("flatview-q35-4G.txt"), SHARED_RAM_BACKEND_ID);
const pc = parseRamRanges(fixture("flatview-pc-4G.txt"), SHARED_RAM_BACKEND_ID);

describe("parseRamRanges", () => {
  it("maps q35's 2 GiB below the PCI hole to file offset 0.. and the rest at 4 GiB after it", () => {
    expect(q35).toEqual([
      { guestStart: LEGACY_AREA_END, guestEnd: 2n * GIB, fileOffset: Number(LEGACY_AREA_END) },
      { guestStart: 4n * GIB, guestEnd: 6n * GIB, fileOffset: Number(2n * GIB) },
    ]);
  });

  it("maps pc's 3 GiB below the hole and 1 GiB above 4 GiB", () => {
    expect(pc).toEqual([
      { guestStart: LEGACY_AREA_END, guestEnd: 3n * GIB, fileOffset: Number(LEGACY_AREA_END) },
      { guestStart: 4n * GIB, guestEnd: 5n * GIB, fileOffset: Number(3n * GIB) },
    ]);
  });

  it("skips ROM, MMIO and other regions, and finds nothing for a region that is not there", () => {
    expect(parseRamRanges(fixture("flatview-q35-4G.txt"), "pc.ram")).toEqual([]);
    expect(parseRamRanges("no flat view at all")).toEqual([]);
  });

  it("reads Unix and network line ends alike", () => {
    expect(
      parseRamRanges(fixture("flatview-q35-4G.txt").replaceAll("\r\n", "\n"), SHARED_RAM_BACKEND_ID),
    ).toEqual(q35);
  });
});

describe("splitAccess", () => {
  it("keeps an access inside one range in one file piece at the right offset", () => {
    expect(splitAccess(q35, 4n * GIB + 5n, 10)).toEqual([
      { addr: 4n * GIB + 5n, bufferOffset: 0, length: 10, fileOffset: Number(2n * GIB) + 5 },
    ]);
  });

  it("sends the hole part of an access across the PCI hole over the socket", () => {
    const pieces = splitAccess(q35, 2n * GIB - 4n, 8);
    expect(pieces).toEqual([
      { addr: 2n * GIB - 4n, bufferOffset: 0, length: 4, fileOffset: Number(2n * GIB) - 4 },
      { addr: 2n * GIB, bufferOffset: 4, length: 4, fileOffset: undefined },
    ]);
  });

  it("covers every byte exactly once, in order, for accesses around every range edge", () => {
    for (const range of q35) {
      for (const edge of [range.guestStart, range.guestEnd]) {
        for (const delta of [-3n, -1n, 0n, 1n]) {
          for (const length of [1, 2, 4097]) {
            const addr = edge + delta;
            const pieces = splitAccess(q35, addr, length);
            let next = 0;
            for (const piece of pieces) {
              expect(piece.bufferOffset).toBe(next);
              expect(piece.addr).toBe(addr + BigInt(next));
              expect(piece.length).toBeGreaterThan(0);
              next += piece.length;
            }
            expect(next).toBe(length);
          }
        }
      }
    }
  });
});

describe("checkRamAccess", () => {
  const fails = (addr: bigint, length: number) => {
    try {
      checkRamAccess(q35, addr, length);
    } catch (error) {
      expect(error).toBeInstanceOf(GuestMemoryRangeError);
      return { field: (error as GuestMemoryRangeError).field, code: (error as GuestMemoryRangeError).code };
    }
    return undefined;
  };

  it("accepts accesses inside RAM up to its last byte", () => {
    expect(fails(4n * GIB, 4096)).toBeUndefined();
    expect(fails(6n * GIB - 1n, 1)).toBeUndefined();
    expect(fails(2n * GIB - 4096n, 4096)).toBeUndefined();
  });

  it("names addr for a negative address and for one outside RAM", () => {
    expect(fails(-1n, 1)).toEqual({ field: "addr", code: "GUEST_MEMORY_RANGE" });
    expect(fails(3n * GIB, 1)).toEqual({ field: "addr", code: "GUEST_MEMORY_RANGE" });
    expect(fails(6n * GIB, 1)).toEqual({ field: "addr", code: "GUEST_MEMORY_RANGE" });
  });

  it("names length for a negative or fractional length, one past the end and one across a hole", () => {
    expect(fails(4n * GIB, -1)).toEqual({ field: "length", code: "GUEST_MEMORY_RANGE" });
    expect(fails(4n * GIB, 1.5)).toEqual({ field: "length", code: "GUEST_MEMORY_RANGE" });
    expect(fails(6n * GIB - 1n, 2)).toEqual({ field: "length", code: "GUEST_MEMORY_RANGE" });
    expect(fails(2n * GIB - 1n, 2)).toEqual({ field: "length", code: "GUEST_MEMORY_RANGE" });
  });
});

describe("planSharedRam", () => {
  it("uses the file by default, and not when the caller brings a memory backend or asks for off", () => {
    expect(planSharedRam("auto", []).mode).toBe(process.env.BPLAB_SHARED_RAM === "off" ? "off" : "on");
    expect(planSharedRam("off", []).mode).toBe("off");
    expect(planSharedRam("auto", ["-machine", "memory-backend=mine"])).toMatchObject({ mode: "off" });
    expect(() => planSharedRam("on", ["-object", "memory-backend-memfd,id=mine"])).toThrow(/sharedRam/);
  });

  it("rejects an unknown mode naming the option", () => {
    expect(() => checkSharedRamMode("yes")).toThrow(expect.objectContaining({ field: "sharedRam" }));
  });

  it("backs all of -m with one shared file and escapes commas in its path", () => {
    expect(sharedRamArgs("/dev/shm/a,b", "4G")).toEqual([
      "-object",
      `memory-backend-file,id=${SHARED_RAM_BACKEND_ID},size=${4n * GIB},mem-path=/dev/shm/a,,b/guest-ram,share=on`,
      "-machine",
      `memory-backend=${SHARED_RAM_BACKEND_ID}`,
    ]);
  });
});

describe("checkRamAccess without a known layout", () => {
  it("still rejects a negative address and a bad length, and lets the rest through", () => {
    expect(() => checkRamAccess([], -1n, 1)).toThrow(expect.objectContaining({ field: "addr" }));
    expect(() => checkRamAccess([], 0n, -1)).toThrow(expect.objectContaining({ field: "length" }));
    expect(() => checkRamAccess([], 1n << 40n, 4096)).not.toThrow();
  });
});

// Guest RAM through the shared file against b64 over the socket, on a real QEMU: the same bytes
// either way, for random accesses that include the edges of every RAM range and the PCI hole.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveProcessCount } from "../src/cleanup.js";
import { GuestMemoryRangeError } from "../src/errors.js";
import { launchQemu, type QemuInstance } from "../src/launcher.js";
import { createQemuTarget } from "../src/libqos/nvme-target.js";
import type { RamRange } from "../src/qtest/guest-ram.js";
import { openSharedRam, readFlatView } from "../src/shared-ram.js";
import { hasQemu } from "./helpers/qemu.js";

const CASES = 60;
const MAX_LENGTH = 3 * 64 * 1024 + 17; // more than one b64 chunk

/** mulberry32: a seeded generator, so a failing case is the same on every run (the seed is printed). */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Random accesses, half of them pinned near a range edge (inside, across, or just past it). */
function accesses(ranges: readonly RamRange[], seed: number): { addr: bigint; length: number }[] {
  const random = generator(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  return Array.from({ length: CASES }, () => {
    const length = 1 + Math.floor(random() * MAX_LENGTH);
    const range = pick(ranges);
    const span = Number(range.guestEnd - range.guestStart) - length;
    const addr =
      random() < 0.5
        ? range.guestStart + BigInt(Math.floor(random() * span))
        : pick([range.guestStart, range.guestEnd]) + BigInt(Math.floor(random() * 2 * length) - length);
    return { addr, length };
  });
}

function pattern(length: number, seed: number): Uint8Array {
  const random = generator(seed);
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

describe.skipIf(!hasQemu)("guest RAM through the shared file (real QEMU)", () => {
  let qemu: QemuInstance;
  beforeAll(async () => {
    // "on", not the default: this file tests the file path even in a BPLAB_SHARED_RAM=off run.
    qemu = await launchQemu({ memory: "4G", sharedRam: "on" });
  });
  afterAll(async () => {
    await qemu?.close();
  });

  /** Runs `action` with the file detached, so every byte goes as b64 over the socket. */
  async function overSocket<T>(action: () => Promise<T>): Promise<T> {
    const ram = qemu.qtest.guestRam;
    qemu.qtest.attachGuestRam(undefined);
    try {
      return await action();
    } finally {
      qemu.qtest.attachGuestRam(ram);
    }
  }

  it("uses the file and knows both RAM ranges", () => {
    expect(qemu.guestRam.path).toBe("file");
    expect(qemu.ramRanges.length).toBe(2);
    expect(qemu.ramRanges[1]?.guestStart).toBe(1n << 32n);
  });

  it("writes through the file what b64 reads back, and the other way round, at random addresses and edges", async () => {
    const seed = Date.now() >>> 0;
    console.info(`[qtest] shared RAM property seed ${seed}`);
    let index = 0;
    for (const { addr, length } of accesses(qemu.ramRanges, seed)) {
      const label = `seed ${seed} case ${index}: 0x${addr.toString(16)} + ${length}`;
      const viaFile = pattern(length, seed + index);
      await qemu.qtest.memWrite(addr, viaFile);
      const expected = await overSocket(() => qemu.qtest.memRead(addr, length));
      // Bytes in a hole read back as whatever QEMU answers there; both paths must agree on them.
      expect(Buffer.compare(await qemu.qtest.memRead(addr, length), expected), label).toBe(0);

      const viaSocket = pattern(length, seed + index + 1);
      await overSocket(() => qemu.qtest.memWrite(addr, viaSocket));
      const fromFile = await qemu.qtest.memRead(addr, length);
      expect(Buffer.compare(fromFile, await overSocket(() => qemu.qtest.memRead(addr, length))), label).toBe(
        0,
      );
      const whollyRam = qemu.ramRanges.some(
        (r) => r.guestStart <= addr && addr + BigInt(length) <= r.guestEnd,
      );
      if (whollyRam) expect(Buffer.compare(fromFile, viaSocket), label).toBe(0);
      index++;
    }
  });

  it("refuses a layout whose offsets do not match the file, so auto falls back instead of writing astray", async () => {
    const flatView = await readFlatView(qemu.qmp);
    const high = /^(\s*0000000100000000-\S+ \(prio 0, ram\): bplab-ram @)([0-9a-f]+)/m;
    expect(flatView).toMatch(high);
    const shifted = flatView.replace(
      high,
      (_, head: string, offset: string) =>
        `${head}${(BigInt(`0x${offset}`) + 0x1000n).toString(16).padStart(16, "0")}`,
    );
    const opened = await openSharedRam(qemu.tempDir, qemu.qtest, shifted);
    expect(opened).toEqual({ reason: expect.stringMatching(/is not guest 0x100000000/) });
    const matching = await openSharedRam(qemu.tempDir, qemu.qtest, flatView);
    expect("ram" in matching).toBe(true);
    if ("ram" in matching) matching.ram.close();
  });

  it("keeps the order of a file access after a socket request still in flight", async () => {
    const addr = (1n << 32n) + 0x1000n;
    const bytes = pattern(4096, 7);
    const pending = qemu.qtest.b64write(addr, bytes); // not awaited: still on the socket
    expect(Buffer.compare(await qemu.qtest.memRead(addr, bytes.length), bytes)).toBe(0);
    await pending;
  });
});

describe.skipIf(!hasQemu)("QemuTarget host memory on both paths (real QEMU)", () => {
  it("checks every access against guest RAM, naming the field, with the file and with b64", async () => {
    for (const sharedRam of ["on", "off"] as const) {
      const target = await createQemuTarget({ sharedRam, namespaceBytes: 0 });
      try {
        expect(target.instance.guestRam.path).toBe(sharedRam === "off" ? "b64" : "file");
        const end = target.instance.ramRanges.at(-1)?.guestEnd as bigint;
        const lowEnd = target.instance.ramRanges[0]?.guestEnd as bigint;
        for (const [addr, length, field] of [
          [-4096n, 16, "addr"],
          [end, 16, "addr"],
          [end - 8n, 16, "length"],
          [lowEnd - 8n, 16, "length"],
          [1n << 32n, -1, "length"],
        ] as const) {
          const failure = await target.memRead(addr, length).catch((error: unknown) => error);
          expect(failure, `${sharedRam} memRead 0x${addr.toString(16)}+${length}`).toBeInstanceOf(
            GuestMemoryRangeError,
          );
          expect((failure as GuestMemoryRangeError).field).toBe(field);
        }
        const write = await target.memWrite(end - 8n, new Uint8Array(16)).catch((error: unknown) => error);
        expect((write as GuestMemoryRangeError).field).toBe("data.length");
      } finally {
        await target.close();
      }
      expect(existsSync(target.instance.tempDir), "the RAM file's temp dir is removed").toBe(false);
    }
    expect(liveProcessCount()).toBe(0);
  });
});

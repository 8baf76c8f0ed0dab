import { describe, expect, it } from "vitest";
import { ManualClock } from "../src/time.js";
import { TraceBus, type TraceEvent } from "../src/trace.js";

/** The bus itself: what a listener receives, and which events are built at all (issue 13). */

describe("TraceBus", () => {
  it("hands listeners one frozen JSON-safe record per event, the same for every listener", () => {
    const bus = new TraceBus(new ManualClock(42));
    const first: TraceEvent[] = [];
    const second: TraceEvent[] = [];
    bus.subscribe((event) => first.push(event));
    bus.subscribe((event) => second.push(event));
    bus.emit("sample", () => ({
      address: 0x1000n,
      bytes: new Uint8Array(12),
      nested: { size: 2n ** 64n - 1n, list: [1n, "two", null, undefined, true] },
      seq: 999,
      kind: "overridden",
      when: new Date(0),
    }));
    expect(first).toEqual([
      {
        seq: 1,
        timeMs: 42,
        kind: "sample",
        address: "0x1000",
        bytes: "<12 bytes>",
        nested: { size: "0xffffffffffffffff", list: ["0x1", "two", null, undefined, true] },
        when: {},
      },
    ]);
    expect(second[0]).toBe(first[0]);
    expect(Object.isFrozen(first[0])).toBe(true);
    expect(JSON.parse(JSON.stringify(first[0]))).toMatchObject({ address: "0x1000", seq: 1 });
  });

  it("builds no event for a kind no listener asked for, but still counts it in seq", () => {
    const bus = new TraceBus(new ManualClock());
    const seen: TraceEvent[] = [];
    bus.subscribe((event) => seen.push(event), { kinds: ["wanted"] });
    let built = 0;
    bus.emit("unwanted", () => {
      built += 1;
      return { value: 1 };
    });
    bus.emit("wanted", () => {
      built += 1;
      return { value: 2 };
    });
    expect(built).toBe(1);
    expect(seen.map((event) => [event.seq, event.kind, event.value])).toEqual([[2, "wanted", 2]]);
  });

  it("an unfiltered listener still sees every kind next to a filtered one", () => {
    const bus = new TraceBus(new ManualClock());
    const all: string[] = [];
    const some: string[] = [];
    bus.subscribe((event) => all.push(event.kind));
    const stopSome = bus.subscribe((event) => some.push(event.kind), { kinds: new Set(["b"]) });
    bus.emit("a");
    bus.emit("b");
    stopSome();
    bus.emit("b");
    expect(all).toEqual(["a", "b", "b"]);
    expect(some).toEqual(["b"]);
  });

  it("a listener added or removed during an event only changes later events", () => {
    const bus = new TraceBus(new ManualClock());
    const late: number[] = [];
    let stopSelf = (): void => {};
    const early: number[] = [];
    stopSelf = bus.subscribe((event) => {
      early.push(event.seq);
      stopSelf();
      bus.subscribe((next) => late.push(next.seq));
    });
    bus.emit("one");
    bus.emit("two");
    expect(early).toEqual([1]);
    expect(late).toEqual([2]);
    expect(bus.active).toBe(true);
  });
});

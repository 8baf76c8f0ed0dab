import { describe, expect, it } from "vitest";
import { HostUsageError } from "../src/driver/errors.js";
import {
  buildPrps,
  encodePrpListPage,
  PRP_ENTRY_BYTES,
  prpListPageCount,
  prpPageCount,
} from "../src/driver/prp.js";

const PAGE = 4096;
const BASE = 0x1_0000_0000n;
const page = (n: number) => BASE + BigInt(n * PAGE);

describe("PRP construction", () => {
  it("uses PRP1 alone for a buffer inside one page, even when it does not start the page", () => {
    expect(buildPrps(BASE + 100n, 200, PAGE)).toEqual({ prp1: BASE + 100n, prp2: 0n, listPages: [] });
    expect(buildPrps(BASE, PAGE, PAGE)).toEqual({ prp1: BASE, prp2: 0n, listPages: [] });
  });

  it("puts the second page in PRP2 for a two-page transfer, including an unaligned one crossing a page", () => {
    expect(buildPrps(BASE, 2 * PAGE, PAGE)).toEqual({ prp1: BASE, prp2: page(1), listPages: [] });
    expect(buildPrps(BASE + 4000n, 200, PAGE)).toEqual({ prp1: BASE + 4000n, prp2: page(1), listPages: [] });
  });

  it("points PRP2 at a PRP list holding pages 2..n for more than two pages", () => {
    const list = page(100);
    const layout = buildPrps(BASE, 3 * PAGE, PAGE, [list]);
    expect(layout.prp1).toBe(BASE);
    expect(layout.prp2).toBe(list);
    expect(layout.listPages).toEqual([{ addr: list, entries: [page(1), page(2)] }]);
  });

  it("counts the pages an unaligned buffer touches", () => {
    expect(prpPageCount(BASE + 1n, 2 * PAGE, PAGE)).toBe(3);
    expect(prpPageCount(BASE, 0, PAGE)).toBe(0);
    expect(prpListPageCount(BASE + 1n, 2 * PAGE, PAGE)).toBe(1);
  });

  it("fills a whole list page without chaining when the entries fit exactly", () => {
    const perPage = PAGE / PRP_ENTRY_BYTES;
    const pages = perPage + 1;
    expect(prpListPageCount(BASE, pages * PAGE, PAGE)).toBe(1);
    const layout = buildPrps(BASE, pages * PAGE, PAGE, [page(10_000)]);
    expect(layout.listPages).toHaveLength(1);
    expect(layout.listPages[0]!.entries).toHaveLength(perPage);
    expect(layout.listPages[0]!.entries.at(-1)).toBe(page(perPage));
  });

  it("chains list pages: the last slot of a full list page points at the next list page", () => {
    const perPage = PAGE / PRP_ENTRY_BYTES;
    const pages = perPage + 2;
    const lists = [page(10_000), page(10_001)];
    expect(prpListPageCount(BASE, pages * PAGE, PAGE)).toBe(2);
    const layout = buildPrps(BASE, pages * PAGE, PAGE, lists);
    const [first, second] = layout.listPages;
    expect(first!.entries).toHaveLength(perPage);
    expect(first!.entries[perPage - 2]).toBe(page(perPage - 1));
    expect(first!.entries[perPage - 1]).toBe(lists[1]);
    expect(second!.entries).toEqual([page(perPage), page(perPage + 1)]);
  });

  it("lists every data page exactly once, in order, across chained list pages", () => {
    const pages = 3000;
    const needed = prpListPageCount(BASE, pages * PAGE, PAGE);
    const lists = Array.from({ length: needed }, (_, i) => page(100_000 + i));
    const layout = buildPrps(BASE, pages * PAGE, PAGE, lists);
    const dataEntries = layout.listPages.flatMap((lp, i) =>
      i < layout.listPages.length - 1 ? lp.entries.slice(0, -1) : lp.entries,
    );
    expect(dataEntries).toEqual(Array.from({ length: pages - 1 }, (_, i) => page(i + 1)));
  });

  it("encodes a list page as little-endian 64-bit entries and zero-fills the rest", () => {
    const bytes = encodePrpListPage({ addr: BASE, entries: [0x1122_3344_5566_7788n] }, PAGE);
    expect(bytes).toHaveLength(PAGE);
    expect([...bytes.subarray(0, 8)]).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    expect(bytes.subarray(8).every((b) => b === 0)).toBe(true);
  });

  it("refuses too few list pages, an unaligned list page and a bad page size, naming the field", () => {
    expect(() => buildPrps(BASE, 3 * PAGE, PAGE, [])).toThrow(/listPageAddrs/);
    expect(() => buildPrps(BASE, 3 * PAGE, PAGE, [BASE + 8n])).toThrow(/not page aligned/);
    expect(() => buildPrps(BASE, PAGE, 3000)).toThrow(HostUsageError);
    expect(() => buildPrps(BASE, -1, PAGE)).toThrow(/length/);
  });
});

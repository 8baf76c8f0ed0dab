import { HostUsageError } from "./errors.js";

/** A PRP entry is one 64-bit little-endian address (NVMe Base 2.1 §4.3.1). */
export const PRP_ENTRY_BYTES = 8;

/** One page of a PRP list and the entries it holds (the last may point at the next list page). */
export interface PrpListPage {
  readonly addr: bigint;
  readonly entries: readonly bigint[];
}

/** What a command's DPTR gets, plus the PRP list pages the host must write before submitting. */
export interface PrpLayout {
  readonly prp1: bigint;
  readonly prp2: bigint;
  readonly listPages: readonly PrpListPage[];
}

function checkPageSize(pageSize: number): void {
  if (!Number.isInteger(pageSize) || pageSize < PRP_ENTRY_BYTES * 2 || (pageSize & (pageSize - 1)) !== 0) {
    throw new HostUsageError("pageSize", `must be a power of two of at least 16 bytes, got ${pageSize}`);
  }
}

/** How many memory pages a buffer of `length` bytes at `addr` touches. */
export function prpPageCount(addr: bigint, length: number, pageSize: number): number {
  checkPageSize(pageSize);
  if (length === 0) return 0;
  const offsetInPage = Number(addr % BigInt(pageSize));
  return Math.ceil((offsetInPage + length) / pageSize);
}

/**
 * How many PRP list pages a transfer needs. Entries for pages 2..n go into the list; every list page
 * but the last gives its final slot to the pointer to the next list page.
 */
export function prpListPageCount(addr: bigint, length: number, pageSize: number): number {
  const pages = prpPageCount(addr, length, pageSize);
  if (pages <= 2) return 0;
  const listEntries = pages - 1;
  const perPage = pageSize / PRP_ENTRY_BYTES;
  if (listEntries <= perPage) return 1;
  return Math.ceil((listEntries - 1) / (perPage - 1));
}

/**
 * Builds PRP1/PRP2 for a physically contiguous buffer: one page → PRP1 only; two pages → PRP2 is the
 * second page; more → PRP2 points at a PRP list (chained across `listPageAddrs` when it spills over).
 */
export function buildPrps(
  addr: bigint,
  length: number,
  pageSize: number,
  listPageAddrs: readonly bigint[] = [],
): PrpLayout {
  if (!Number.isInteger(length) || length < 0) {
    throw new HostUsageError("length", `must be a non-negative integer, got ${length}`);
  }
  const pages = prpPageCount(addr, length, pageSize);
  const page = BigInt(pageSize);
  const firstPageBase = addr - (addr % page);
  const pageAddr = (index: number): bigint => firstPageBase + BigInt(index) * page;
  if (pages <= 1) return { prp1: addr, prp2: 0n, listPages: [] };
  if (pages === 2) return { prp1: addr, prp2: pageAddr(1), listPages: [] };

  const needed = prpListPageCount(addr, length, pageSize);
  if (listPageAddrs.length < needed) {
    throw new HostUsageError(
      "listPageAddrs",
      `this transfer needs ${needed} PRP list pages, got ${listPageAddrs.length}`,
    );
  }
  const perPage = pageSize / PRP_ENTRY_BYTES;
  const listPages: PrpListPage[] = [];
  let nextDataPage = 1;
  for (let listIndex = 0; listIndex < needed; listIndex++) {
    const listAddr = listPageAddrs[listIndex]!;
    if (listAddr % page !== 0n) {
      throw new HostUsageError(
        "listPageAddrs",
        `PRP list page 0x${listAddr.toString(16)} is not page aligned`,
      );
    }
    const remaining = pages - nextDataPage;
    const isLast = listIndex === needed - 1;
    const dataEntries = isLast ? remaining : perPage - 1;
    const entries: bigint[] = [];
    for (let i = 0; i < dataEntries; i++) entries.push(pageAddr(nextDataPage++));
    if (!isLast) entries.push(listPageAddrs[listIndex + 1]!);
    listPages.push({ addr: listAddr, entries });
  }
  return { prp1: addr, prp2: listPageAddrs[0]!, listPages };
}

/** The bytes of one PRP list page (unused slots stay zero). */
export function encodePrpListPage(listPage: PrpListPage, pageSize: number): Uint8Array {
  checkPageSize(pageSize);
  const bytes = new Uint8Array(pageSize);
  const view = new DataView(bytes.buffer);
  listPage.entries.forEach((entry, index) => {
    view.setBigUint64(index * PRP_ENTRY_BYTES, entry, true);
  });
  return bytes;
}

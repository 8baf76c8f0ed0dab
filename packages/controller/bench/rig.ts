/**
 * What benchmarks need on top of the lean host (lean-host.ts): page-aligned data buffers with the
 * PRP lists that map them, for transfers larger than two pages, and a rig whose host returns whole
 * completions for the tests that check the command path with it (test/command-path.test.ts).
 */
import type { CompletionQueueEntry, SubmissionQueueEntry } from "@bplab/nvme-spec";
import type { ControllerConfig } from "../src/config.js";
import type { NvmeController } from "../src/controller.js";
import type { BootPartitionStore } from "../src/ports.js";
import type { ManualScheduler } from "../src/time.js";
import { LeanHost, type LeanHostMemory, PAGE } from "./lean-host.js";

export interface BenchRig {
  readonly controller: NvmeController;
  readonly memory: LeanHostMemory;
  readonly scheduler: ManualScheduler;
  /** Submits one command on the lean host's admin queue and returns its decoded completion. */
  readonly host: { submit(sqe: SubmissionQueueEntry): CompletionQueueEntry };
  readonly lean: LeanHost;
}

export function createBenchRig(
  bootPartitions: BootPartitionStore,
  memoryBytes: number,
  config?: Partial<ControllerConfig>,
): BenchRig {
  const lean = new LeanHost({ bootPartitions, memoryBytes, config });
  const { controller, memory, scheduler } = lean;
  return { controller, memory, scheduler, host: { submit: (sqe) => lean.submitForCompletion(sqe) }, lean };
}

/** A page-aligned data buffer and the PRP lists that map it (PRP1 + list, as a host driver builds). */
export interface DataBuffer {
  readonly addr: bigint;
  readonly bytes: number;
  /** PRP1/PRP2 for a transfer of `length` bytes from the start of the buffer. */
  prps(length: number): { prp1: bigint; prp2: bigint };
}

const PRP_ENTRY_BYTES = 8;
const ENTRIES_PER_LIST_PAGE = PAGE / PRP_ENTRY_BYTES;

/**
 * A buffer of `bytes` plus PRP lists for exactly that size: the last entry of a full list page
 * chains to the next page (NVMe Base §4.3.1). A shorter transfer may use the lists only while it
 * stays inside the first list page, where no chain pointer sits.
 */
export function allocDataBuffer({ memory }: { readonly memory: LeanHostMemory }, bytes: number): DataBuffer {
  const addr = memory.alloc(bytes, PAGE);
  const pages = Math.ceil(bytes / PAGE);
  const listEntries = pages - 1;
  const listPages = Math.max(1, Math.ceil((listEntries - 1) / (ENTRIES_PER_LIST_PAGE - 1)));
  const listAddr = memory.alloc(listPages * PAGE, PAGE);
  const list = new DataView(new ArrayBuffer(listPages * PAGE));
  let slot = 0;
  for (let page = 1; page < pages; page++) {
    const lastInListPage = slot % ENTRIES_PER_LIST_PAGE === ENTRIES_PER_LIST_PAGE - 1;
    if (lastInListPage && page < pages - 1) {
      list.setBigUint64(slot * PRP_ENTRY_BYTES, listAddr + BigInt((slot + 1) * PRP_ENTRY_BYTES), true);
      slot++;
    }
    list.setBigUint64(slot * PRP_ENTRY_BYTES, addr + BigInt(page * PAGE), true);
    slot++;
  }
  memory.write(listAddr, new Uint8Array(list.buffer));
  return {
    addr,
    bytes,
    prps(length) {
      const used = Math.ceil(length / PAGE);
      if (used <= 1) return { prp1: addr, prp2: 0n };
      if (used === 2) return { prp1: addr, prp2: addr + BigInt(PAGE) };
      if (length !== bytes && used - 1 > ENTRIES_PER_LIST_PAGE)
        throw new Error(`the PRP lists map ${bytes} bytes, not ${length}`);
      return { prp1: addr, prp2: listAddr };
    },
  };
}

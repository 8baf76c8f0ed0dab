/**
 * A controller with the test suite's polling host (test/harness.ts) plus what benchmarks need on
 * top: a store of their choice and PRP lists for transfers larger than two pages.
 */
import {
  type BpId,
  bpWriteProtectionForOne,
  buildSetFeatures,
  encodeBpWriteProtection,
  FeatureId,
} from "@bplab/nvme-spec";
import { NvmeController } from "../src/controller.js";
import type { BootPartitionStore } from "../src/ports.js";
import { ManualScheduler } from "../src/time.js";
import { FlatHostMemory, PAGE, statusOf, TestHost } from "../test/harness.js";

export interface BenchRig {
  readonly controller: NvmeController;
  readonly memory: FlatHostMemory;
  readonly host: TestHost;
}

export function createBenchRig(bootPartitions: BootPartitionStore, memoryBytes: number): BenchRig {
  const memory = new FlatHostMemory(memoryBytes);
  const scheduler = new ManualScheduler();
  const controller = new NvmeController({ hostMemory: memory, bootPartitions, scheduler });
  const host = new TestHost(controller, memory, scheduler);
  host.enable();
  return { controller, memory, host };
}

/** A page-aligned data buffer and the PRP list page that maps it (PRP1 + list, as a host driver builds). */
export interface DataBuffer {
  readonly addr: bigint;
  readonly bytes: number;
  prps(length: number): { prp1: bigint; prp2: bigint };
}

export function allocDataBuffer(rig: BenchRig, bytes: number): DataBuffer {
  const addr = rig.memory.alloc(bytes, PAGE);
  const listAddr = rig.memory.alloc(PAGE, PAGE);
  const pages = Math.ceil(bytes / PAGE);
  const list = new DataView(new ArrayBuffer(PAGE));
  for (let page = 1; page < pages; page++)
    list.setBigUint64((page - 1) * 8, addr + BigInt(page * PAGE), true);
  rig.memory.write(listAddr, new Uint8Array(list.buffer));
  return {
    addr,
    bytes,
    prps(length) {
      const used = Math.ceil(length / PAGE);
      if (used <= 1) return { prp1: addr, prp2: 0n };
      if (used === 2) return { prp1: addr, prp2: addr + BigInt(PAGE) };
      return { prp1: addr, prp2: listAddr };
    },
  };
}

/** Set Features 85h for one BP; benchmarks need BPs unlocked before they commit. */
export function setLock(rig: BenchRig, bpid: BpId, state: number): void {
  const states = bpWriteProtectionForOne(bpid, state);
  const cqe = rig.host.submit(
    buildSetFeatures({
      cid: 0,
      fid: FeatureId.BootPartitionWriteProtection,
      cdw11: encodeBpWriteProtection(states),
    }),
  );
  expectSuccess("Set Features 85h", statusOf(cqe));
}

export function expectSuccess(what: string, status: string): void {
  if (status !== "0h/00h") throw new Error(`${what} failed with status ${status}`);
}

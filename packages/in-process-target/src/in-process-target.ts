import {
  type BootPartitionStore,
  type Clock,
  type ControllerConfig,
  createMemoryStore,
  DmaError,
  type HostMemory,
  ManualScheduler,
  type NamespaceStore,
  NvmeController,
  type QuirkProfileName,
  type QuirkSwitches,
} from "@bplab/controller";
import {
  DEFAULT_TARGET_BP_SIZE_BYTES,
  FlatMemory,
  type TargetCapabilities,
  TargetError,
  type TargetFactory,
  type TargetRequest,
  type TargetWithCapabilities,
} from "@bplab/host";

/** The BP size shared by every target (DEFAULT_TARGET_BP_SIZE_BYTES of @bplab/host). */
export const DEFAULT_IN_PROCESS_BP_SIZE_BYTES = DEFAULT_TARGET_BP_SIZE_BYTES;
/** Host memory of an in-process target: room for queues, PRP lists and MDTS-sized buffers. */
export const DEFAULT_IN_PROCESS_MEMORY_BYTES = 32 * 1024 * 1024;

export interface InProcessTargetOptions {
  /** Size of each BP when no `store` is given (a multiple of 128 KiB). */
  bpSizeBytes?: number;
  /** A store to use instead of a fresh in-memory one (e.g. a state directory). */
  store?: { bootPartitions: BootPartitionStore; namespace?: NamespaceStore };
  config?: Partial<ControllerConfig>;
  quirks?: QuirkProfileName | Partial<QuirkSwitches>;
  /** Bytes of flat host memory. */
  memoryBytes?: number;
  clock?: Clock;
}

export type InProcessTarget = TargetWithCapabilities & {
  readonly controller: NvmeController;
  readonly memory: FlatMemory;
};

/** A page-aligned address below the flat memory's base: no DMA can reach it (MC-7 scenarios). */
const UNMAPPED_PAGE = 0x1000n;

/** The device's view of flat memory: the same bytes, with DmaError for anything outside them. */
function dmaView(memory: FlatMemory): HostMemory {
  const checkMapped = (addr: bigint, length: number) => {
    if (!memory.contains(addr, length))
      throw new DmaError(addr, length, "outside the in-process host memory");
  };
  return {
    read(addr, length) {
      checkMapped(addr, length);
      return memory.read(addr, length);
    },
    write(addr, data) {
      checkMapped(addr, data.length);
      memory.write(addr, data);
    },
    // SQE fetches and bulk transfers without a fresh buffer per access (issue 13).
    readInto(addr, into) {
      checkMapped(addr, into.length);
      memory.readInto(addr, into);
    },
    view(addr, length) {
      checkMapped(addr, length);
      return memory.view(addr, length);
    },
  };
}

/**
 * The controller core in this process behind the Target interface. Device work runs on a
 * ManualScheduler, so nothing happens between host steps until `settle()` (runUntilIdle): every run
 * is deterministic. `powerCycle()` is the core's power cycle and `functionReset()` its Controller
 * Level Reset (MC-40, MC-42).
 */
export function createInProcessTarget(options: InProcessTargetOptions = {}): InProcessTarget {
  const memory = new FlatMemory({ sizeBytes: options.memoryBytes ?? DEFAULT_IN_PROCESS_MEMORY_BYTES });
  const store =
    options.store ??
    createMemoryStore({ bpSizeBytes: options.bpSizeBytes ?? DEFAULT_IN_PROCESS_BP_SIZE_BYTES });
  const scheduler = new ManualScheduler();
  const controller = new NvmeController({
    hostMemory: dmaView(memory),
    bootPartitions: store.bootPartitions,
    namespace: store.namespace,
    scheduler,
    clock: options.clock,
    config: options.config,
    quirks: options.quirks,
  });
  const capabilities: TargetCapabilities = {
    restartProcess: false,
    rpmbMode: true,
    unmappedAddress: UNMAPPED_PAGE,
  };
  let closed = false;
  const open = (): NvmeController => {
    if (closed) throw new TargetError("TARGET_CLOSED", "the in-process target was closed");
    return controller;
  };

  return {
    name: "core",
    capabilities,
    controller,
    memory,
    async mmioRead32(offset) {
      return open().mmioRead32(offset);
    },
    async mmioRead64(offset) {
      return open().mmioRead64(offset);
    },
    async mmioWrite32(offset, value) {
      open().mmioWrite32(offset, value);
    },
    async mmioWrite64(offset, value) {
      open().mmioWrite64(offset, value);
    },
    async alloc(size, align) {
      open();
      return memory.alloc(size, align);
    },
    async memRead(addr, length) {
      open();
      return memory.read(addr, length);
    },
    async memWrite(addr, data) {
      open();
      memory.write(addr, data);
    },
    async settle() {
      open();
      scheduler.runUntilIdle();
    },
    async powerCycle() {
      open().powerCycle();
    },
    async functionReset() {
      open().controllerReset();
    },
    async close() {
      closed = true;
    },
  };
}

/**
 * A TargetFactory for the scenario suite: a fresh in-process target per scenario, honouring the
 * scenario's request (BP size, RPMB mode) on top of `base`.
 */
export function inProcessTargetFactory(base: InProcessTargetOptions = {}): TargetFactory {
  return async (request: TargetRequest) => {
    const config: Partial<ControllerConfig> = { ...base.config };
    if (request.rpmb) config.rpmb = { enabled: true, locked: request.rpmb.locked };
    return createInProcessTarget({ ...base, bpSizeBytes: request.bpSizeBytes ?? base.bpSizeBytes, config });
  };
}

export type {
  BootPartitionStore,
  BpId,
  Clock,
  HostMemory,
  InterruptSink,
  NamespaceStore,
  Scheduler,
} from "./ports.js";
export { DmaError } from "./ports.js";
export * from "./storage/index.js";

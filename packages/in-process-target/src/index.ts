export {
  createInProcessTarget,
  DEFAULT_IN_PROCESS_BP_SIZE_BYTES,
  DEFAULT_IN_PROCESS_MEMORY_BYTES,
  type InProcessTarget,
  type InProcessTargetOptions,
  inProcessTargetFactory,
} from "./in-process-target.js";

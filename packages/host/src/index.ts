export {
  type BpRegisterReadRequest,
  type BpRegisterReadResult,
  bpRegisterRead,
  bprselUnitsFor,
  MAX_BPRSZ_UNITS,
  startBpRegisterRead,
  waitBpRegisterRead,
} from "./driver/bp-register-read.js";
export {
  CommandAbortedByResetError,
  ControllerFatalError,
  HostDriverError,
  type HostDriverErrorCode,
  HostTimeoutError,
  HostUsageError,
  NvmeCommandError,
} from "./driver/errors.js";
export {
  type BpReadOutcome,
  type BpWriteProtectionOutcome,
  type BpWriteProtectionRequest,
  type DownloadOutcome,
  fwugBytes,
  NvmeHostDriver,
  type RegisterReadOutcome,
} from "./driver/nvme-host-driver.js";
export {
  buildPrps,
  encodePrpListPage,
  type PrpLayout,
  type PrpListPage,
  prpListPageCount,
} from "./driver/prp.js";
export {
  type CommandOutcome,
  type DataOutcome,
  type DataTransfer,
  DEFAULT_ADMIN_QUEUE_DEPTH,
  DEFAULT_MAX_POLLS,
  type DriverOptions,
  outcomeOf,
} from "./driver/queue-driver.js";
export {
  DEFAULT_TRANSCRIPT_LIMIT,
  formatBrs,
  formatTranscriptEntry,
  Transcript,
  type TranscriptEntry,
  type TranscriptListener,
} from "./driver/transcript.js";
export { SCENARIO_POISON_BYTE, ScenarioContext, sha256 } from "./scenarios/context.js";
export { DownstreamHost, downstreamCommands, readModifyWriteCdw11 } from "./scenarios/downstream-host.js";
export {
  ScenarioAssertionError,
  ScenarioError,
  type ScenarioErrorCode,
  ScenarioSkippedError,
} from "./scenarios/errors.js";
export type { Observations, ObservationValue } from "./scenarios/observations.js";
export {
  compareObservations,
  compareRuns,
  type ObservationDifference,
  type RunDifference,
  type RunScenariosOptions,
  runScenario,
  runScenarios,
  type ScenarioFilter,
  selectScenarios,
} from "./scenarios/runner.js";
export { ALL_SCENARIOS } from "./scenarios/suite.js";
export type { Scenario, ScenarioOutcome, ScenarioResult } from "./scenarios/types.js";
export {
  DEFAULT_TARGET_BP_SIZE_BYTES,
  type Target,
  type TargetCapabilities,
  TargetError,
  type TargetErrorCode,
  type TargetFactory,
  type TargetRequest,
  TargetUnsupportedError,
  type TargetWithCapabilities,
  targetCapabilities,
} from "./target.js";
export { DEFAULT_FLAT_MEMORY_BASE, FlatMemory, type FlatMemoryOptions } from "./targets/flat-memory.js";

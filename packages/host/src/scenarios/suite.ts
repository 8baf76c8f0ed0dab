import { ABPID_SCENARIOS } from "./abpid.js";
import { DISCOVERY_SCENARIOS } from "./discovery.js";
import { DOWNSTREAM_SCENARIOS } from "./downstream.js";
import { FEATURES_NSID_SCENARIOS } from "./features-nsid.js";
import { FID85_SCENARIOS } from "./fid85.js";
import { FIRMWARE_COMMIT_SCENARIOS } from "./firmware-slots.js";
import { LOCK_SCENARIOS } from "./locks.js";
import { LOG_PAGE_SCENARIOS } from "./log-page.js";
import { POWER_CYCLE_SCENARIOS } from "./power-cycle.js";
import { REGISTER_READ_SCENARIOS } from "./register-read.js";
import { RESET_SCENARIOS } from "./resets.js";
import { STAGING_SCENARIOS } from "./staging.js";
import type { Scenario } from "./types.js";
import { WRITE_FLOW_SCENARIOS } from "./write-flow.js";

/** The whole suite, in the order a reader meets the topics: discover, read, write, protect, reset. */
export const ALL_SCENARIOS: readonly Scenario[] = Object.freeze([
  ...DISCOVERY_SCENARIOS,
  ...REGISTER_READ_SCENARIOS,
  ...LOG_PAGE_SCENARIOS,
  ...WRITE_FLOW_SCENARIOS,
  ...STAGING_SCENARIOS,
  ...FIRMWARE_COMMIT_SCENARIOS,
  ...LOCK_SCENARIOS,
  ...FID85_SCENARIOS,
  ...FEATURES_NSID_SCENARIOS,
  ...RESET_SCENARIOS,
  ...POWER_CYCLE_SCENARIOS,
  ...ABPID_SCENARIOS,
  ...DOWNSTREAM_SCENARIOS,
]);

import {
  arbitrationCodec,
  asyncEventConfigCodec,
  FEATURE_SELECT_MAX,
  FeatureId,
  FeatureSelect,
  featureCapabilitiesCodec,
  GET_FEATURES_CDW10_LAYOUT,
  interruptCoalescingCodec,
  NSID_BROADCAST,
  NUMBER_OF_QUEUES_INVALID,
  numberOfQueuesCodec,
  parseSetFeatures,
  powerManagementCodec,
  Status,
  type SubmissionQueueEntry,
  ThresholdType,
  temperatureThresholdCodec,
  volatileWriteCacheCodec,
} from "@bplab/nvme-spec";
import type { CommandContext } from "../command-context.js";
import { FeatureValues } from "../feature-values.js";
import { namespaceCount } from "../nvm-io.js";
import { dwordField } from "../sqe-view.js";
import { type CommandResult, failure, success } from "../status.js";
import { DEFAULT_WRITE_PROTECTION_DW0 } from "../write-protection.js";

/**
 * Get Features (0Ah) and Set Features (09h) for the FIDs a host driver uses plus FID 85h.
 * No feature is saveable: SV=1 → Feature Identifier Not Saveable, SEL=saved returns the default.
 * Values other than FID 85h return to their defaults on a Controller Level Reset.
 */

/** TMPSEL 0h is the composite temperature and Fh means all sensors; the model has no others. */
const TMPSEL_COMPOSITE = 0x0;
const TMPSEL_ALL_SENSORS = 0xf;
/** The controller has one power state (Identify NPSS = 0). */
const HIGHEST_POWER_STATE = 0;
/** NSID values that mean "not a namespace": 0h and the broadcast FFFFFFFFh (MC-35, MC-62). */
const NSID_NONE = 0;

interface FeatureHandler {
  get(ctx: CommandContext, cdw11: number, select: number): CommandResult;
  /** Called only with SV=0: setFeatures answers SV=1 for every FID first (MC-30 step 1, MC-62). */
  set(ctx: CommandContext, cdw11: number): CommandResult;
}

/** A feature whose value is one stored dword, masked to the fields its layout defines. */
function storedDword(
  field:
    | "arbitration"
    | "powerManagement"
    | "volatileWriteCache"
    | "interruptCoalescing"
    | "asyncEventConfig",
  codec: { reservedMask: number },
  validate?: (cdw11: number) => string | undefined,
): FeatureHandler {
  return {
    get(ctx, _cdw11, select) {
      const values = select === FeatureSelect.Current ? ctx.features : new FeatureValues();
      return success(values[field]);
    },
    set(ctx, cdw11) {
      const problem = validate?.(cdw11);
      if (problem) return failure(Status.InvalidField, problem);
      ctx.features[field] = (cdw11 & ~codec.reservedMask) >>> 0;
      return success();
    },
  };
}

function checkPowerState(cdw11: number): string | undefined {
  const { ps } = powerManagementCodec.decode(cdw11);
  return ps > HIGHEST_POWER_STATE ? `PS=${ps} is above NPSS=${HIGHEST_POWER_STATE}` : undefined;
}

const temperatureThreshold: FeatureHandler = {
  get(ctx, cdw11, select) {
    const selection = selectThreshold(cdw11);
    if (typeof selection === "string") return failure(Status.InvalidField, selection);
    const values = select === FeatureSelect.Current ? ctx.features : new FeatureValues();
    const kelvin = selection.over ? values.overTemperatureK : values.underTemperatureK;
    const { tmpsel, thsel } = temperatureThresholdCodec.decode(cdw11);
    return success(temperatureThresholdCodec.encode({ tmpth: kelvin, tmpsel, thsel }));
  },
  set(ctx, cdw11) {
    const selection = selectThreshold(cdw11);
    if (typeof selection === "string") return failure(Status.InvalidField, selection);
    const { tmpth } = temperatureThresholdCodec.decode(cdw11);
    if (selection.over) ctx.features.overTemperatureK = tmpth;
    else ctx.features.underTemperatureK = tmpth;
    return success();
  },
};

function selectThreshold(cdw11: number): { over: boolean } | string {
  const { tmpsel, thsel } = temperatureThresholdCodec.decode(cdw11);
  if (tmpsel !== TMPSEL_COMPOSITE && tmpsel !== TMPSEL_ALL_SENSORS) {
    return `TMPSEL=${tmpsel}: the controller reports only the composite temperature`;
  }
  if (thsel !== ThresholdType.OverTemperature && thsel !== ThresholdType.UnderTemperature) {
    return `THSEL=${thsel} is reserved`;
  }
  return { over: thsel === ThresholdType.OverTemperature };
}

const numberOfQueues: FeatureHandler = {
  get: (ctx) => success(allocatedQueues(ctx)),
  set(ctx, cdw11) {
    const requested = numberOfQueuesCodec.decode(cdw11);
    if (requested.nsq === NUMBER_OF_QUEUES_INVALID || requested.ncq === NUMBER_OF_QUEUES_INVALID) {
      return failure(Status.InvalidField, "NSQR/NCQR of FFFFh (65536 queues) is not allowed");
    }
    if (ctx.queues.submissionQueues.size > 1 || ctx.queues.completionQueues.size > 1) {
      return failure(Status.CommandSequenceError, "Number of Queues is set after I/O queues were created");
    }
    // The controller always allocates its configured queue pairs (the spec allows more than asked).
    return success(allocatedQueues(ctx));
  },
};

function allocatedQueues(ctx: CommandContext): number {
  const zeroBased = ctx.config.maxIoQueues - 1;
  return numberOfQueuesCodec.encode({ nsq: zeroBased, ncq: zeroBased });
}

const bootPartitionWriteProtection: FeatureHandler = {
  // getFeatures passes only SEL=current or SEL=default here (saved → default, MC-33).
  get(ctx, _cdw11, select) {
    return success(
      select === FeatureSelect.Default ? DEFAULT_WRITE_PROTECTION_DW0 : ctx.writeProtection.currentDw0(),
    );
  },
  set(ctx, cdw11) {
    const outcome = ctx.writeProtection.set(cdw11);
    return outcome.ok ? success() : failure(outcome.status, outcome.reason);
  },
};

const HANDLERS: ReadonlyMap<number, FeatureHandler> = new Map([
  [FeatureId.Arbitration, storedDword("arbitration", arbitrationCodec)],
  [FeatureId.PowerManagement, storedDword("powerManagement", powerManagementCodec, checkPowerState)],
  [FeatureId.TemperatureThreshold, temperatureThreshold],
  [FeatureId.VolatileWriteCache, storedDword("volatileWriteCache", volatileWriteCacheCodec)],
  [FeatureId.NumberOfQueues, numberOfQueues],
  [FeatureId.InterruptCoalescing, storedDword("interruptCoalescing", interruptCoalescingCodec)],
  [FeatureId.AsyncEventConfig, storedDword("asyncEventConfig", asyncEventConfigCodec)],
  [FeatureId.BootPartitionWriteProtection, bootPartitionWriteProtection],
]);

/** Every supported feature: changeable, not namespace specific, not saveable (MC-33). */
const CAPABILITIES = featureCapabilitiesCodec.encode({
  saveable: false,
  namespaceSpecific: false,
  changeable: true,
});

/**
 * MC-62: upstream QEMU's order. Unsupported FID → Invalid Field; every supported FID is
 * controller scope, and Get checks NSID only for namespace-specific features, so NSID is ignored.
 */
export function getFeatures(ctx: CommandContext, sqe: SubmissionQueueEntry): CommandResult {
  // Two fields of CDW10, read in place: Get Features is the hot admin command (issue 13).
  const cdw10 = sqe.cdw10;
  const fid = dwordField(cdw10, GET_FEATURES_CDW10_LAYOUT.fid);
  const sel = dwordField(cdw10, GET_FEATURES_CDW10_LAYOUT.sel);
  const handler = HANDLERS.get(fid);
  if (!handler) return unsupported(fid);
  if (sel > FEATURE_SELECT_MAX) return failure(Status.InvalidField, `SEL=${sel} is reserved`);
  if (sel === FeatureSelect.SupportedCapabilities) return success(CAPABILITIES);
  // Nothing is saveable, so SEL=saved reports the default (MC-33).
  const select = sel === FeatureSelect.Saved ? FeatureSelect.Default : sel;
  return handler.get(ctx, sqe.cdw11, select);
}

/**
 * MC-62, upstream QEMU's order: (1) SV=1 → Not Saveable (no FID is saveable, so this comes even
 * before the FID check); (2) unsupported FID → Invalid Field; (3) the NSID rule of a controller-
 * scope feature (MC-35); (4) the FID's own checks (for 85h the MC-30 order).
 */
export function setFeatures(ctx: CommandContext, sqe: SubmissionQueueEntry): CommandResult {
  const command = parseSetFeatures(sqe);
  if (command.sv) return notSaveable();
  const handler = HANDLERS.get(command.fid);
  if (!handler) return unsupported(command.fid);
  const nsidProblem = checkControllerScopeNsid(sqe.nsid, namespaceCount(ctx));
  if (nsidProblem) return nsidProblem;
  return handler.set(ctx, command.cdw11);
}

/**
 * MC-35: a Set of a feature that is not namespace specific takes NSID 0h or FFFFFFFFh; a valid
 * NSID (1..NN) → Feature Not Namespace Specific (1h/0Fh); any other → Invalid Namespace (0h/0Bh).
 */
function checkControllerScopeNsid(nsid: number, nn: number): CommandResult | undefined {
  if (nsid === NSID_NONE || nsid === NSID_BROADCAST) return undefined;
  if (nsid <= nn) {
    return failure(
      Status.FeatureNotNamespaceSpecific,
      `NSID=${nsid}: the feature is not namespace specific (MC-35, MC-62)`,
    );
  }
  return failure(Status.InvalidNamespaceOrFormat, `NSID=${nsid} is above NN=${nn} (MC-35, MC-62)`);
}

function unsupported(fid: number): CommandResult {
  return failure(Status.InvalidField, `FID ${fid.toString(16).padStart(2, "0")}h is not supported`);
}

function notSaveable(): CommandResult {
  return failure(Status.FeatureIdentifierNotSaveable, "SV=1: no feature of this controller is saveable");
}

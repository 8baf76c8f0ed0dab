import { volatileWriteCacheCodec } from "@bplab/nvme-spec";

/** Composite temperature thresholds, kelvin: the over-temperature default equals Identify WCTEMP. */
export const WARNING_COMPOSITE_TEMPERATURE_K = 343;
export const CRITICAL_COMPOSITE_TEMPERATURE_K = 373;
const UNDER_TEMPERATURE_DEFAULT_K = 0;

/**
 * The current values of the Set Features FIDs stored as one dword each (admin/features.ts). FID
 * 85h is not here: its state belongs to the subsystem (write-protection.ts, MC-43).
 */
export class FeatureValues {
  arbitration = 0;
  powerManagement = 0;
  overTemperatureK = WARNING_COMPOSITE_TEMPERATURE_K;
  underTemperatureK = UNDER_TEMPERATURE_DEFAULT_K;
  volatileWriteCache = volatileWriteCacheCodec.encode({ wce: true });
  interruptCoalescing = 0;
  asyncEventConfig = 0;

  /** Controller Level Reset: every value here goes back to its default (FID 85h lives elsewhere). */
  reset(): void {
    Object.assign(this, new FeatureValues());
  }
}

import {
  BpWriteProtectionState,
  encodeBpWriteProtection,
  FeatureId,
  hexLiteral,
  Status,
  type StatusCode,
  ThresholdType,
  temperatureThresholdCodec,
  U32_MAX,
} from "@bplab/nvme-spec";
import type { NvmeHostDriver } from "../driver/nvme-host-driver.js";
import type { ScenarioContext } from "./context.js";
import { ScenarioAssertionError } from "./errors.js";
import { expectLocks } from "./helpers.js";
import type { Scenario } from "./types.js";

/**
 * The NSID rule of Set/Get Features for a feature that is not namespace specific (MC-35, MC-62),
 * as upstream QEMU's nvme_set_feature / nvme_get_feature apply it to every such feature: Set takes
 * NSID 0h or FFFFFFFFh, a valid NSID (1..NN) → Feature Not Namespace Specific (1h/0Fh), anything
 * else → Invalid Namespace or Format (0h/0Bh); Get ignores NSID. FID 85h follows the same rule as
 * a stock feature (Temperature Threshold). NN is read from Identify Controller at run time.
 */

const BROADCAST_NSID = U32_MAX;
/** QEMU's NVME_MAX_NAMESPACES: both targets report it as NN so NSID validity is the same. */
const EXPECTED_NN = 256;
const { WriteLocked: L, WriteUnlocked: U } = BpWriteProtectionState;

/** The NSIDs a Set is tried with, and the status each must get. */
function setCases(nn: number): [string, number, StatusCode][] {
  return [
    ["nsid-1", 1, Status.FeatureNotNamespaceSpecific],
    ["nsid-nn", nn, Status.FeatureNotNamespaceSpecific],
    ["nsid-nn-plus-1", nn + 1, Status.InvalidNamespaceOrFormat],
  ];
}

async function readNn(ctx: ScenarioContext): Promise<number> {
  const { nn } = await (await ctx.driver()).identifyController();
  ctx.expect("identify.nn", nn, EXPECTED_NN, "QEMU's NVME_MAX_NAMESPACES");
  return nn;
}

/** A scenario that drives the host driver against the NN that Identify Controller reports. */
function nsidScenario(
  id: string,
  title: string,
  body: (ctx: ScenarioContext, driver: NvmeHostDriver, nn: number) => Promise<void>,
): Scenario {
  return {
    id,
    title,
    async run(ctx) {
      const driver = await ctx.driver();
      await body(ctx, driver, await readNn(ctx));
      return ctx.observations;
    },
  };
}

/** A controller-scope feature as the NSID scenarios drive it. */
interface FeatureUnderTest {
  readonly fid: number;
  /** CDW11 of a Get (the selector some features need). */
  readonly getCdw11: number;
  /** CDW11 of a Set that changes the value, and of one that puts it back. */
  readonly change: (ctx: ScenarioContext) => Promise<{ changeTo: number; restore: number }>;
  /** The value as observations show it: what must not move when a Set fails. */
  readonly observe: (driver: NvmeHostDriver, field: string) => Promise<string>;
}

/** Set with NSID 1, NN, NN+1 (each fails, the value stays), then FFFFFFFFh and 0 (both apply). */
function setFollowsNsidRule(id: string, title: string, feature: FeatureUnderTest): Scenario {
  return nsidScenario(id, title, async (ctx, driver, nn) => {
    const { changeTo, restore } = await feature.change(ctx);
    const original = await feature.observe(driver, "before");
    for (const [name, nsid, status] of setCases(nn)) {
      ctx.expectStatus(
        `set-${name}.status`,
        await driver.setFeature(feature.fid, changeTo, { nsid }),
        status,
      );
      ctx.expect(
        `after-${name}.value`,
        await feature.observe(driver, name),
        original,
        "a failed Set changes nothing",
      );
      await expectLocks(ctx, `after-${name}`, { bp0: L, bp1: L }, "a failed Set changes no lock");
    }
    const broadcast = await driver.setFeature(feature.fid, changeTo, { nsid: BROADCAST_NSID });
    ctx.expectStatus("set-nsid-broadcast.status", broadcast, Status.Success);
    const changed = await feature.observe(driver, "broadcast");
    ctx.expect("after-nsid-broadcast.changed", changed !== original, true, `the Set applied: ${changed}`);
    ctx.expectStatus(
      "set-nsid-0.status",
      await driver.setFeature(feature.fid, restore, { nsid: 0 }),
      Status.Success,
    );
    ctx.expect(
      "after-nsid-0.value",
      await feature.observe(driver, "nsid-0"),
      original,
      "restored with NSID 0",
    );
  });
}

/** Get with NSID 1 and NN+1 returns what Get with NSID 0 returns. */
function getIgnoresNsid(id: string, title: string, feature: FeatureUnderTest): Scenario {
  return nsidScenario(id, title, async (ctx, driver, nn) => {
    const value = await feature.observe(driver, "get-nsid-0");
    for (const [name, nsid] of [
      ["nsid-1", 1],
      ["nsid-nn-plus-1", nn + 1],
    ] as const) {
      const outcome = await driver.getFeature(feature.fid, { cdw11: feature.getCdw11, nsid });
      ctx.expectStatus(`get-${name}.status`, outcome, Status.Success);
      ctx.expect(`get-${name}.dw0`, hexLiteral(outcome.dw0), value);
    }
  });
}

/** Reads a feature's DW0 (NSID 0); the Get must succeed. */
async function readFeature(
  driver: NvmeHostDriver,
  fid: number,
  cdw11: number,
  field: string,
): Promise<string> {
  const outcome = await driver.getFeature(fid, { cdw11 });
  if (!outcome.ok) throw new ScenarioAssertionError(`${field}.get.status`, "0h/00h", outcome.status);
  return hexLiteral(outcome.dw0);
}

const BP_WRITE_PROTECTION: FeatureUnderTest = {
  fid: FeatureId.BootPartitionWriteProtection,
  getCdw11: 0,
  change: async () => ({
    changeTo: encodeBpWriteProtection({ bp0: U, bp1: U }),
    restore: encodeBpWriteProtection({ bp0: L, bp1: L }),
  }),
  observe: (driver, field) => readFeature(driver, FeatureId.BootPartitionWriteProtection, 0, field),
};

/** Over Temperature Threshold of the composite sensor: TMPSEL 0h, THSEL 00b. */
function overTemperature(kelvin: number): number {
  return temperatureThresholdCodec.encode({ tmpth: kelvin, tmpsel: 0, thsel: ThresholdType.OverTemperature });
}

const TEMPERATURE_THRESHOLD: FeatureUnderTest = {
  fid: FeatureId.TemperatureThreshold,
  getCdw11: overTemperature(0),
  async change(ctx) {
    const now = await readFeature(
      await ctx.driver(),
      FeatureId.TemperatureThreshold,
      overTemperature(0),
      "now",
    );
    const kelvin = Number(now) & 0xffff;
    return { changeTo: overTemperature(kelvin - 10), restore: overTemperature(kelvin) };
  },
  observe: (driver, field) => readFeature(driver, FeatureId.TemperatureThreshold, overTemperature(0), field),
};

export const FEATURES_NSID_SCENARIOS: readonly Scenario[] = [
  setFollowsNsidRule(
    "features.nsid-bp-wp-set",
    "Set Features 85h: NSID 1 and NN → 1h/0Fh, NN+1 → 0h/0Bh, locks unchanged; FFFFFFFFh and 0 accepted (MC-35)",
    BP_WRITE_PROTECTION,
  ),
  getIgnoresNsid(
    "features.nsid-bp-wp-get",
    "Get Features 85h ignores NSID: NSID 1 and NN+1 return the current states (12h)",
    BP_WRITE_PROTECTION,
  ),
  setFollowsNsidRule(
    "features.nsid-stock-set",
    "Set Features Temperature Threshold (a stock feature): NSID 1 and NN → 1h/0Fh, NN+1 → 0h/0Bh, value and locks unchanged; FFFFFFFFh and 0 accepted",
    TEMPERATURE_THRESHOLD,
  ),
  getIgnoresNsid(
    "features.nsid-stock-get",
    "Get Features Temperature Threshold ignores NSID: NSID 1 and NN+1 succeed with the same value",
    TEMPERATURE_THRESHOLD,
  ),
];

import {
  BpWriteProtectionState,
  encodeBpWriteProtection,
  encodeTemperatureThreshold,
  FeatureId,
  Status,
  type StatusCode,
  ThresholdType,
  U32_MAX,
} from "@bplab/nvme-spec";
import type { NvmeHostDriver } from "../driver/nvme-host-driver.js";
import { hex, type ScenarioContext } from "./context.js";
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
const { WriteLocked: L, WriteUnlocked: U, NoChange } = BpWriteProtectionState;

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

const bpWriteProtectionSet: Scenario = {
  id: "features.nsid-bp-wp-set",
  title:
    "Set Features 85h: NSID 1 and NN → 1h/0Fh, NN+1 → 0h/0Bh, locks unchanged; FFFFFFFFh and 0 accepted (MC-35)",
  async run(ctx) {
    const driver = await ctx.driver();
    const nn = await readNn(ctx);
    const unlockBoth = encodeBpWriteProtection({ bp0: U, bp1: U });
    for (const [name, nsid, status] of setCases(nn)) {
      const outcome = await driver.setFeature(FeatureId.BootPartitionWriteProtection, unlockBoth, { nsid });
      ctx.expectStatus(`set-${name}.status`, outcome, status);
      await expectLocks(ctx, `after-${name}`, { bp0: L, bp1: L }, "a failed Set changes no lock");
    }
    const broadcast = await driver.setFeature(FeatureId.BootPartitionWriteProtection, unlockBoth, {
      nsid: BROADCAST_NSID,
    });
    ctx.expectStatus("set-nsid-broadcast.status", broadcast, Status.Success);
    await expectLocks(ctx, "after-nsid-broadcast", { bp0: U, bp1: U });
    const relockBp0 = encodeBpWriteProtection({ bp0: L, bp1: NoChange });
    const none = await driver.setFeature(FeatureId.BootPartitionWriteProtection, relockBp0, { nsid: 0 });
    ctx.expectStatus("set-nsid-0.status", none, Status.Success);
    await expectLocks(ctx, "after-nsid-0", { bp0: L, bp1: U });
    return ctx.observations;
  },
};

const bpWriteProtectionGet: Scenario = {
  id: "features.nsid-bp-wp-get",
  title: "Get Features 85h ignores NSID: NSID 1 and NN+1 return the current states (12h)",
  async run(ctx) {
    const driver = await ctx.driver();
    const nn = await readNn(ctx);
    const current = hex(encodeBpWriteProtection({ bp0: L, bp1: L }));
    for (const [name, nsid] of [
      ["nsid-1", 1],
      ["nsid-nn-plus-1", nn + 1],
    ] as const) {
      const outcome = await driver.getFeature(FeatureId.BootPartitionWriteProtection, { nsid });
      ctx.expectStatus(`get-${name}.status`, outcome, Status.Success);
      ctx.expect(`get-${name}.dw0`, hex(outcome.dw0), current);
    }
    return ctx.observations;
  },
};

/** Over Temperature Threshold of the composite sensor: TMPSEL 0h, THSEL 00b. */
function overTemperature(kelvin: number): number {
  return encodeTemperatureThreshold({ tmpth: kelvin, tmpsel: 0, thsel: ThresholdType.OverTemperature });
}

async function readOverTemperature(driver: NvmeHostDriver, field: string, nsid = 0): Promise<number> {
  const outcome = await driver.getFeature(FeatureId.TemperatureThreshold, {
    cdw11: overTemperature(0),
    nsid,
  });
  if (!outcome.ok) throw new ScenarioAssertionError(`${field}.status`, "0h/00h", outcome.status);
  return outcome.dw0 & 0xffff;
}

const temperatureThresholdSet: Scenario = {
  id: "features.nsid-stock-set",
  title:
    "Set Features Temperature Threshold (a stock feature): NSID 1 and NN → 1h/0Fh, NN+1 → 0h/0Bh, value unchanged; FFFFFFFFh and 0 accepted",
  async run(ctx) {
    const driver = await ctx.driver();
    const nn = await readNn(ctx);
    const original = await readOverTemperature(driver, "get-original");
    const wanted = original - 10;
    for (const [name, nsid, status] of setCases(nn)) {
      const outcome = await driver.setFeature(FeatureId.TemperatureThreshold, overTemperature(wanted), {
        nsid,
      });
      ctx.expectStatus(`set-${name}.status`, outcome, status);
      ctx.expect(
        `after-${name}.tmpth-unchanged`,
        (await readOverTemperature(driver, name)) === original,
        true,
      );
    }
    await expectLocks(ctx, "after-failed-sets", { bp0: L, bp1: L }, "no Set touched FID 85h");
    const broadcast = await driver.setFeature(FeatureId.TemperatureThreshold, overTemperature(wanted), {
      nsid: BROADCAST_NSID,
    });
    ctx.expectStatus("set-nsid-broadcast.status", broadcast, Status.Success);
    ctx.expect(
      "after-nsid-broadcast.tmpth-set",
      (await readOverTemperature(driver, "broadcast")) === wanted,
      true,
    );
    const none = await driver.setFeature(FeatureId.TemperatureThreshold, overTemperature(original), {
      nsid: 0,
    });
    ctx.expectStatus("set-nsid-0.status", none, Status.Success);
    ctx.expect(
      "after-nsid-0.tmpth-restored",
      (await readOverTemperature(driver, "nsid-0")) === original,
      true,
    );
    return ctx.observations;
  },
};

const temperatureThresholdGet: Scenario = {
  id: "features.nsid-stock-get",
  title: "Get Features Temperature Threshold ignores NSID: NSID 1 and NN+1 succeed with the same value",
  async run(ctx) {
    const driver = await ctx.driver();
    const nn = await readNn(ctx);
    const value = await readOverTemperature(driver, "get-nsid-0");
    for (const [name, nsid] of [
      ["nsid-1", 1],
      ["nsid-nn-plus-1", nn + 1],
    ] as const) {
      const outcome = await driver.getFeature(FeatureId.TemperatureThreshold, {
        cdw11: overTemperature(0),
        nsid,
      });
      ctx.expectStatus(`get-${name}.status`, outcome, Status.Success);
      ctx.expect(`get-${name}.same-value`, (outcome.dw0 & 0xffff) === value, true);
    }
    return ctx.observations;
  },
};

export const FEATURES_NSID_SCENARIOS: readonly Scenario[] = [
  bpWriteProtectionSet,
  bpWriteProtectionGet,
  temperatureThresholdSet,
  temperatureThresholdGet,
];

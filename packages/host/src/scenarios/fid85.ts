import {
  BP_IDS,
  BP_WRITE_PROTECTION_LAYOUT,
  BPWPS_MAX_DEFINED,
  BpWriteProtectionState,
  bpWriteProtectionCodec,
  bpWriteProtectionForOne,
  bpWriteProtectionStateName,
  encodeBpWriteProtection,
  FeatureId,
  FeatureSelect,
  featureCapabilitiesCodec,
  formatBpwps,
  formatStatus,
  hexLiteral,
  otherBp,
  Status,
  type StatusCode,
} from "@bplab/nvme-spec";
import type { ScenarioContext } from "./context.js";
import { ScenarioAssertionError } from "./errors.js";
import { expectLocks, readLocks } from "./helpers.js";
import type { Scenario } from "./types.js";

const { NoChange, WriteUnlocked, WriteLocked, WriteLockedUntilPowerCycle, RpmbControlled } =
  BpWriteProtectionState;

/** Every value a 3-bit BPxWPS field can carry: 000b-100b and the reserved 101b-111b. */
const ALL_SET_VALUES = Array.from({ length: BP_WRITE_PROTECTION_LAYOUT.bp0.max + 1 }, (_, value) => value);
/** 101b, the first reserved value. */
const FIRST_RESERVED = BPWPS_MAX_DEFINED + 1;

type Cell = readonly [StatusCode, number];
const OK = Status.Success;
const INVALID = Status.InvalidField;
const NOT_CHANGEABLE = Status.FeatureNotChangeable;
const L = WriteLocked;
const U = WriteUnlocked;
const W = WriteLockedUntilPowerCycle;
const R = RpmbControlled;

/**
 * The §7.2 transition table of docs/spec/boot-partitions.md for Set Features 85h, one row per
 * state, one cell per Set value 000b..111b: the status and the state afterwards. MC-30 (check
 * order), MC-31 (idempotent sets succeed), MC-34 (RPMB: any field ≠ 000b → 1h/0Eh, after
 * 100b-111b → 0h/02h).
 */
export const SET_TRANSITIONS: Readonly<Record<number, readonly Cell[]>> = Object.freeze({
  //       000b         001b                 010b                 011b       100b          101b          110b          111b
  [L]: [
    [OK, L],
    [OK, U],
    [OK, L],
    [OK, W],
    [INVALID, L],
    [INVALID, L],
    [INVALID, L],
    [INVALID, L],
  ],
  [U]: [
    [OK, U],
    [OK, U],
    [OK, L],
    [OK, W],
    [INVALID, U],
    [INVALID, U],
    [INVALID, U],
    [INVALID, U],
  ],
  [W]: [
    [OK, W],
    [NOT_CHANGEABLE, W],
    [NOT_CHANGEABLE, W],
    [OK, W],
    [INVALID, W],
    [INVALID, W],
    [INVALID, W],
    [INVALID, W],
  ],
  [R]: [
    [OK, R],
    [NOT_CHANGEABLE, R],
    [NOT_CHANGEABLE, R],
    [NOT_CHANGEABLE, R],
    [INVALID, R],
    [INVALID, R],
    [INVALID, R],
    [INVALID, R],
  ],
});

/**
 * Puts both BPs in `state` from whatever they are in now, power cycling only when a BP must leave
 * Write Locked Until Power Cycle.
 */
async function enterBoth(ctx: ScenarioContext, state: number): Promise<void> {
  const driver = await ctx.driver();
  const now = await readLocks(driver);
  if (now.bp0 === state && now.bp1 === state) return;
  if (state !== W && (now.bp0 === W || now.bp1 === W)) await ctx.powerCycle();
  const set = await driver.setBpWriteProtection({ bp0: state, bp1: state });
  if (!set.ok)
    throw new ScenarioAssertionError(
      `enter-${bpWriteProtectionStateName(state)}.status`,
      formatStatus(OK),
      set.status,
    );
}

/** Every cell of one row of the table, for both BPs, checking the other BP never moves. */
function setTableRow(from: number, slug: string, request?: Scenario["request"]): Scenario {
  return {
    id: `fid85.set-from-${slug}`,
    title: `Set Features 85h with each value 000b-111b on a BP in ${bpWriteProtectionStateName(from)} (docs/spec/boot-partitions.md §7.2)`,
    request,
    async run(ctx) {
      const driver = await ctx.driver();
      for (const bpid of BP_IDS) {
        for (const value of ALL_SET_VALUES) {
          if (from !== R) await enterBoth(ctx, from);
          const fields = bpWriteProtectionForOne(bpid, value);
          const outcome = await driver.setFeature(
            FeatureId.BootPartitionWriteProtection,
            bpWriteProtectionCodec.encode(fields),
          );
          const [status, after] = SET_TRANSITIONS[from]![value]!;
          const cell = `bp${bpid}.set-${formatBpwps(value)}`;
          ctx.expect(`${cell}.status`, outcome.status, formatStatus(status));
          const locks = await readLocks(driver);
          const other = otherBp(bpid);
          ctx.expect(
            `${cell}.bp${bpid}`,
            bpWriteProtectionStateName(bpid === 0 ? locks.bp0 : locks.bp1),
            bpWriteProtectionStateName(after),
          );
          ctx.expect(
            `${cell}.bp${other}`,
            bpWriteProtectionStateName(other === 0 ? locks.bp0 : locks.bp1),
            bpWriteProtectionStateName(from),
            "the other BP",
          );
        }
      }
      return ctx.observations;
    },
  };
}

const saveValue: Scenario = {
  id: "fid85.set-sv",
  title: "Set Features 85h with SV=1 → 1h/0Dh Not Saveable before any field check, nothing changes (MC-30)",
  async run(ctx) {
    const driver = await ctx.driver();
    const fid = FeatureId.BootPartitionWriteProtection;
    const unlock = encodeBpWriteProtection({ bp0: WriteUnlocked, bp1: WriteUnlocked });
    ctx.expectStatus(
      "sv-unlock.status",
      await driver.setFeature(fid, unlock, { sv: true }),
      Status.FeatureIdentifierNotSaveable,
    );
    const reserved = bpWriteProtectionCodec.encode({ bp0: FIRST_RESERVED, bp1: NoChange });
    ctx.expectStatus(
      "sv-reserved.status",
      await driver.setFeature(fid, reserved, { sv: true }),
      Status.FeatureIdentifierNotSaveable,
    );
    await expectLocks(ctx, "after", { bp0: WriteLocked, bp1: WriteLocked });
    return ctx.observations;
  },
};

const allOrNothing: Scenario = {
  id: "fid85.set-all-or-nothing",
  title: "A Set with one bad field changes neither BP (0h/02h or 1h/0Eh), even when the other field is valid",
  async run(ctx) {
    const driver = await ctx.driver();
    const fid = FeatureId.BootPartitionWriteProtection;
    const set = (bp0: number, bp1: number) =>
      driver.setFeature(fid, bpWriteProtectionCodec.encode({ bp0, bp1 }));
    ctx.expectStatus("unlock0-reserved1.status", await set(U, FIRST_RESERVED), Status.InvalidField);
    await expectLocks(ctx, "after-reserved", { bp0: L, bp1: L });
    ctx.expectStatus("wlupc1.status", await set(NoChange, W), Status.Success);
    ctx.expectStatus("unlock-both-with-bp1-wlupc.status", await set(U, U), Status.FeatureNotChangeable);
    await expectLocks(ctx, "after-not-changeable", { bp0: L, bp1: W });
    ctx.expectStatus("rpmb0-unlock1.status", await set(R, U), Status.InvalidField);
    await expectLocks(ctx, "after-rpmb-value", { bp0: L, bp1: W });
    ctx.expectStatus(
      "unlock0-rewlupc1.status",
      await set(U, W),
      Status.Success,
      "MC-31: 011b on WLUPC is a no-op",
    );
    await expectLocks(ctx, "after-valid", { bp0: U, bp1: W });
    return ctx.observations;
  },
};

const reservedBits: Scenario = {
  id: "fid85.set-reserved-bits",
  title: "CDW11 bits 31:6 are ignored: 09h with every reserved bit set still unlocks both BPs (MC-32)",
  async run(ctx) {
    const driver = await ctx.driver();
    const cdw11 = (bpWriteProtectionCodec.reservedMask | encodeBpWriteProtection({ bp0: U, bp1: U })) >>> 0;
    ctx.record("cdw11", hexLiteral(cdw11));
    ctx.expectStatus(
      "set.status",
      await driver.setFeature(FeatureId.BootPartitionWriteProtection, cdw11),
      Status.Success,
    );
    await expectLocks(ctx, "after", { bp0: U, bp1: U });
    return ctx.observations;
  },
};

const getSelect: Scenario = {
  id: "fid85.get-select",
  title: "Get Features 85h SEL 000b current, 001b default 12h, 010b saved 12h, 011b capabilities 04h (MC-33)",
  async run(ctx) {
    const driver = await ctx.driver();
    const defaults = encodeBpWriteProtection({ bp0: L, bp1: L });
    const capabilities = featureCapabilitiesCodec.encode({
      changeable: true,
      namespaceSpecific: false,
      saveable: false,
    });
    ctx.expectStatus(
      "unlock-bp0.status",
      await driver.setBpWriteProtection({ bp0: U, bp1: NoChange }),
      Status.Success,
    );
    const expected: [string, number, number][] = [
      ["current", FeatureSelect.Current, encodeBpWriteProtection({ bp0: U, bp1: L })],
      ["default", FeatureSelect.Default, defaults],
      ["saved", FeatureSelect.Saved, defaults],
      ["supported-capabilities", FeatureSelect.SupportedCapabilities, capabilities],
    ];
    for (const [name, sel, dw0] of expected) {
      const outcome = await driver.getBpWriteProtection(sel);
      ctx.expectStatus(`sel-${name}.status`, outcome, Status.Success);
      ctx.expect(`sel-${name}.dw0`, hexLiteral(outcome.dw0), hexLiteral(dw0));
    }
    return ctx.observations;
  },
};

export const FID85_SCENARIOS: readonly Scenario[] = [
  setTableRow(L, "write-locked"),
  setTableRow(U, "write-unlocked"),
  setTableRow(W, "wlupc"),
  setTableRow(R, "rpmb", { rpmb: { locked: [true, true] } }),
  saveValue,
  allOrNothing,
  reservedBits,
  getSelect,
];

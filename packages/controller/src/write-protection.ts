import {
  BP_IDS,
  type BpId,
  type BpPair,
  BpWriteProtectionState,
  binarySpec,
  bpName,
  bpWriteProtectionCodec,
  FeatureCapability,
  FeatureSelect,
  formatBpwps,
  GET_FEATURES_CDW10_LAYOUT,
  Status,
  type StatusCode,
} from "@bplab/nvme-spec";

/**
 * The Set Features Boot Partition write-protection state machine (FID 85h), as pure functions.
 * Spec: shared/spec/boot-partitions.md §7 (states and transitions), §4 (CDW11 layout); model
 * choices MC-30..MC-35, MC-40, MC-41. The controller keeps a BpLockStates value and replaces it
 * with what these functions return; the table test walks every cell of §7.2 through them.
 */

/** A state a Boot Partition can be in under Set Features protection (§7.1). */
export type BpLockState =
  | typeof BpWriteProtectionState.WriteUnlocked
  | typeof BpWriteProtectionState.WriteLocked
  | typeof BpWriteProtectionState.WriteLockedUntilPowerCycle;

export interface BpLockStates {
  readonly bp0: BpLockState;
  readonly bp1: BpLockState;
}

/** The optional RPMB-controlled mode of the TS core (MC-34). */
export interface RpmbProtection {
  readonly enabled: boolean;
  /** Per BP: whether the RPMB Device Configuration Block's BPLOCK bit locks it. */
  readonly locked: BpPair<boolean>;
}

export const RPMB_DISABLED: RpmbProtection = Object.freeze({ enabled: false, locked: [true, true] as const });

/** Power-up and default state: Write Locked for both BPs (§7.1). */
export const POWER_ON_LOCK_STATES: BpLockStates = Object.freeze({
  bp0: BpWriteProtectionState.WriteLocked,
  bp1: BpWriteProtectionState.WriteLocked,
});

/** Largest value a Set may carry in a field; 100b (RPMB) and 101b–111b are not Set values. */
const HIGHEST_SETTABLE_STATE = BpWriteProtectionState.WriteLockedUntilPowerCycle;

/** Supported-capabilities answer (SEL=011b): changeable, not namespace specific, not saveable (MC-33). */
export const BP_WRITE_PROTECTION_CAPABILITIES = FeatureCapability.Changeable;

export interface WriteProtectionSetRequest {
  /** CDW11 of the Set Features command; bits 31:6 are reserved and ignored (MC-32). */
  readonly cdw11: number;
  /** CDW10 bit 31 SV. */
  readonly save: boolean;
}

export type WriteProtectionSetOutcome =
  | { readonly ok: true; readonly next: BpLockStates }
  | { readonly ok: false; readonly status: StatusCode; readonly reason: string };

/** The two raw 3-bit request fields of a Set, reserved bits dropped (MC-32). */
export function requestedStates(cdw11: number): { bp0: number; bp1: number } {
  return bpWriteProtectionCodec.decode(cdw11 >>> 0);
}

/**
 * Set Features FID 85h. Check order MC-30: (1) SV=1 → Not Saveable; (2) a field 100b–111b →
 * Invalid Field; (3) RPMB mode and a field ≠ 000b → Feature Not Changeable; (4) a BP in WLUPC
 * asked for 001b or 010b → Feature Not Changeable; (5) apply both. Any failure changes neither
 * BP (all-or-nothing, §7.2). Idempotent requests succeed (MC-31).
 */
export function applyWriteProtectionSet(
  current: BpLockStates,
  request: WriteProtectionSetRequest,
  rpmb: RpmbProtection = RPMB_DISABLED,
): WriteProtectionSetOutcome {
  if (request.save) {
    return {
      ok: false,
      status: Status.FeatureIdentifierNotSaveable,
      reason: "SV=1: FID 85h is not saveable",
    };
  }
  const requested = requestedStates(request.cdw11);
  for (const bpid of BP_IDS) {
    const value = requested[bpName(bpid)];
    if (value > HIGHEST_SETTABLE_STATE) {
      return {
        ok: false,
        status: Status.InvalidField,
        reason: `BP${bpid}WPS=${formatBpwps(value)} is not a Set value (100b is Get-only, 101b-111b reserved)`,
      };
    }
  }
  if (
    rpmb.enabled &&
    (requested.bp0 !== BpWriteProtectionState.NoChange || requested.bp1 !== BpWriteProtectionState.NoChange)
  ) {
    return {
      ok: false,
      status: Status.FeatureNotChangeable,
      reason: "write protection is controlled by RPMB; only 000b (no change) is accepted",
    };
  }
  for (const bpid of BP_IDS) {
    const value = requested[bpName(bpid)];
    const leavesWlupc =
      current[bpName(bpid)] === BpWriteProtectionState.WriteLockedUntilPowerCycle &&
      (value === BpWriteProtectionState.WriteUnlocked || value === BpWriteProtectionState.WriteLocked);
    if (leavesWlupc) {
      return {
        ok: false,
        status: Status.FeatureNotChangeable,
        reason: `BP${bpid} is Write Locked Until Power Cycle; only a power cycle leaves that state`,
      };
    }
  }
  return {
    ok: true,
    next: Object.freeze({
      bp0: nextState(current.bp0, requested.bp0),
      bp1: nextState(current.bp1, requested.bp1),
    }),
  };
}

function nextState(current: BpLockState, requested: number): BpLockState {
  return requested === BpWriteProtectionState.NoChange ? current : (requested as BpLockState);
}

/** A Controller Level Reset (CC.EN 1→0, FLR, DEVICE_RESET) keeps every lock state (MC-40, §7.1). */
export function lockStatesAfterControllerReset(current: BpLockStates): BpLockStates {
  return current;
}

/** A power cycle moves Write Unlocked and WLUPC to Write Locked (MC-41, §7.1). */
export function lockStatesAfterPowerCycle(_current: BpLockStates): BpLockStates {
  return POWER_ON_LOCK_STATES;
}

/**
 * RPMB mode (2.2 §8.1.3.3.2, MC-34): a BP unlocked through the RPMB Device Configuration Block is
 * locked again by a Controller Level Reset and by a power cycle (unlike a Set Features unlock).
 */
export function rpmbAfterResetOrPowerCycle(rpmb: RpmbProtection): RpmbProtection {
  if (!rpmb.enabled || (rpmb.locked[0] && rpmb.locked[1])) return rpmb;
  return Object.freeze({ enabled: true, locked: Object.freeze([true, true] as const) });
}

export type WriteProtectionGetOutcome =
  | { readonly ok: true; readonly dw0: number }
  | { readonly ok: false; readonly status: StatusCode; readonly reason: string };

/**
 * Get Features FID 85h by SEL (MC-33, MC-34): current state (100b/100b in RPMB mode), default and
 * saved = Write Locked for both, capabilities = changeable only. Reserved SEL → Invalid Field.
 */
export function getWriteProtectionFeature(
  current: BpLockStates,
  select: number,
  rpmb: RpmbProtection = RPMB_DISABLED,
): WriteProtectionGetOutcome {
  switch (select) {
    case FeatureSelect.Current:
      return {
        ok: true,
        dw0: rpmb.enabled
          ? encodeStates(BpWriteProtectionState.RpmbControlled, BpWriteProtectionState.RpmbControlled)
          : encodeStates(current.bp0, current.bp1),
      };
    case FeatureSelect.Default:
    case FeatureSelect.Saved:
      return { ok: true, dw0: encodeStates(POWER_ON_LOCK_STATES.bp0, POWER_ON_LOCK_STATES.bp1) };
    case FeatureSelect.SupportedCapabilities:
      return { ok: true, dw0: BP_WRITE_PROTECTION_CAPABILITIES };
    default:
      return {
        ok: false,
        status: Status.InvalidField,
        reason: `SEL=${binarySpec(select, GET_FEATURES_CDW10_LAYOUT.sel.width)} is reserved`,
      };
  }
}

/** Whether Firmware Commit CA=110b may replace this BP (§7.2 "Effect on writes", MC-34). */
export function isBpWritable(
  states: BpLockStates,
  bpid: BpId,
  rpmb: RpmbProtection = RPMB_DISABLED,
): boolean {
  if (rpmb.enabled) return !rpmb.locked[bpid];
  return states[bpName(bpid)] === BpWriteProtectionState.WriteUnlocked;
}

/** The state a Get would report for one BP: 100b in RPMB mode, the lock state otherwise. */
export function reportedLockState(
  states: BpLockStates,
  bpid: BpId,
  rpmb: RpmbProtection = RPMB_DISABLED,
): number {
  return rpmb.enabled ? BpWriteProtectionState.RpmbControlled : states[bpName(bpid)];
}

function encodeStates(bp0: number, bp1: number): number {
  return bpWriteProtectionCodec.encode({ bp0, bp1 });
}

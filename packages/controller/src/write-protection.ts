import {
  BP_IDS,
  type BpId,
  type BpPair,
  BpWriteProtectionState,
  bpName,
  bpWriteProtectionCodec,
  bpWriteProtectionStateName,
  formatBpwps,
  Status,
  type StatusCode,
} from "@bplab/nvme-spec";
import type { TraceBus } from "./trace.js";

/**
 * Boot Partition write protection (Set/Get Features FID 85h and the optional RPMB mode), in one
 * place: the §7.2 transition table as data, the Set rules that combine two table cells, and the
 * WriteProtection object each controller uses to read and change its subsystem's lock states.
 * Spec: docs/spec/boot-partitions.md §7 (states and transitions), §4 (CDW11 layout); model
 * choices MC-30..MC-35, MC-40, MC-41, MC-43. SV=1 (MC-30 step 1), reserved SEL, SEL=saved and
 * SEL=capabilities are answered by admin/features.ts for every FID before this module is asked.
 */

const { WriteUnlocked, WriteLocked, WriteLockedUntilPowerCycle, RpmbControlled } = BpWriteProtectionState;

/** A state a Boot Partition can be in under Set Features protection (§7.1). */
export type BpLockState = typeof WriteUnlocked | typeof WriteLocked | typeof WriteLockedUntilPowerCycle;

/** What Get Features SEL=000b reports for one BP: its lock state, or 100b in RPMB mode. */
export type ReportedLockState = BpLockState | typeof RpmbControlled;

/** Both BPs as Get Features SEL=000b (and a UI) shows them: 001b/010b/011b, or 100b for both in RPMB mode. */
export interface ReportedLockStates {
  readonly bp0: ReportedLockState;
  readonly bp1: ReportedLockState;
}

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
export const POWER_ON_LOCK_STATES: BpLockStates = Object.freeze({ bp0: WriteLocked, bp1: WriteLocked });

/** One cell of §7.2: the state the BP moves to, or the status that rejects the whole Set. */
export type SetCell<State> = { readonly to: State } | { readonly status: StatusCode };

/** One row of §7.2: Set 000b..111b, then a Controller Level Reset and a power cycle. */
export interface LockStateRow<State> {
  readonly set: readonly SetCell<State>[];
  readonly controllerReset: State;
  readonly powerCycle: State;
}

const INVALID_FIELD: SetCell<never> = Object.freeze({ status: Status.InvalidField });
const NOT_CHANGEABLE: SetCell<never> = Object.freeze({ status: Status.FeatureNotChangeable });
/** 100b is Get-only and 101b–111b are reserved: no row accepts them in a Set (MC-30 step 2). */
const NOT_SET_VALUES = [INVALID_FIELD, INVALID_FIELD, INVALID_FIELD, INVALID_FIELD] as const;
const to = <State>(state: State): SetCell<State> => Object.freeze({ to: state });

/**
 * The §7.2 transition table, keyed by the state a Get reports for the BP. Set 000b keeps the
 * state and a repeated Set succeeds (MC-31); only a power cycle leaves WLUPC; a Controller Level
 * Reset keeps every Set Features state (MC-40); a power cycle returns to Write Locked (MC-41). In
 * RPMB mode every Set value but 000b is Not Changeable (MC-34); the RPMB BPLOCK bits relock on
 * reset and power cycle (WriteProtection below), while the reported state stays 100b.
 */
export const LOCK_STATE_TRANSITIONS: Readonly<
  Record<BpLockState, LockStateRow<BpLockState>> &
    Record<typeof RpmbControlled, LockStateRow<typeof RpmbControlled>>
> = Object.freeze({
  [WriteLocked]: {
    set: [
      to(WriteLocked),
      to(WriteUnlocked),
      to(WriteLocked),
      to(WriteLockedUntilPowerCycle),
      ...NOT_SET_VALUES,
    ],
    controllerReset: WriteLocked,
    powerCycle: WriteLocked,
  },
  [WriteUnlocked]: {
    set: [
      to(WriteUnlocked),
      to(WriteUnlocked),
      to(WriteLocked),
      to(WriteLockedUntilPowerCycle),
      ...NOT_SET_VALUES,
    ],
    controllerReset: WriteUnlocked,
    powerCycle: WriteLocked,
  },
  [WriteLockedUntilPowerCycle]: {
    set: [
      to(WriteLockedUntilPowerCycle),
      NOT_CHANGEABLE,
      NOT_CHANGEABLE,
      to(WriteLockedUntilPowerCycle),
      ...NOT_SET_VALUES,
    ],
    controllerReset: WriteLockedUntilPowerCycle,
    powerCycle: WriteLocked,
  },
  [RpmbControlled]: {
    set: [to(RpmbControlled), NOT_CHANGEABLE, NOT_CHANGEABLE, NOT_CHANGEABLE, ...NOT_SET_VALUES],
    controllerReset: RpmbControlled,
    powerCycle: RpmbControlled,
  },
});

export type WriteProtectionSetOutcome =
  | { readonly ok: true; readonly next: BpLockStates }
  | { readonly ok: false; readonly status: StatusCode; readonly reason: string };

/**
 * Set Features FID 85h with SV=0, CDW11 bits 31:6 ignored (MC-32). Each BP's field picks a cell of
 * its row; the check order across both fields is MC-30 steps 2–4: a value that is not a Set value
 * (Invalid Field) before a cell that refuses (Feature Not Changeable). Any refusal changes neither
 * BP (all-or-nothing, §7.2).
 */
export function applyWriteProtectionSet(
  current: BpLockStates,
  cdw11: number,
  rpmb: RpmbProtection = RPMB_DISABLED,
): WriteProtectionSetOutcome {
  const requested = bpWriteProtectionCodec.decode(cdw11 >>> 0);
  const cells = BP_IDS.map((bpid) => {
    const row = reportedLockState(current, bpid, rpmb);
    return {
      bpid,
      row,
      value: requested[bpName(bpid)],
      cell: LOCK_STATE_TRANSITIONS[row].set[requested[bpName(bpid)]]!,
    };
  });
  for (const { bpid, value, cell } of cells) {
    if ("status" in cell && cell.status === Status.InvalidField) {
      return {
        ok: false,
        status: cell.status,
        reason: `BP${bpid}WPS=${formatBpwps(value)} is not a Set value (100b is Get-only, 101b-111b reserved)`,
      };
    }
  }
  for (const { bpid, row, cell } of cells) {
    if ("status" in cell) {
      return {
        ok: false,
        status: cell.status,
        reason:
          row === RpmbControlled
            ? "write protection is controlled by RPMB; only 000b (no change) is accepted"
            : `BP${bpid} is Write Locked Until Power Cycle; only a power cycle leaves that state`,
      };
    }
  }
  // RPMB mode accepts only 000b, so the Set Features states stay as they are.
  if (rpmb.enabled) return { ok: true, next: current };
  const nextOf = (bpid: BpId): BpLockState => {
    const cell = cells[bpid]!.cell;
    return "to" in cell ? (cell.to as BpLockState) : current[bpName(bpid)];
  };
  return { ok: true, next: Object.freeze({ bp0: nextOf(0), bp1: nextOf(1) }) };
}

/** A Controller Level Reset or a power cycle, the two events of §7.2 that are not a Set. */
export type LockStateEvent = "controllerReset" | "powerCycle";

/** Both BPs' Set Features states after `event`, read from the table. */
export function lockStatesAfter(event: LockStateEvent, current: BpLockStates): BpLockStates {
  const bp0 = LOCK_STATE_TRANSITIONS[current.bp0][event];
  const bp1 = LOCK_STATE_TRANSITIONS[current.bp1][event];
  return bp0 === current.bp0 && bp1 === current.bp1 ? current : Object.freeze({ bp0, bp1 });
}

/** Whether Firmware Commit CA=110b may replace this BP (§7.2 "Effect on writes", MC-34). */
export function isBpWritable(
  states: BpLockStates,
  bpid: BpId,
  rpmb: RpmbProtection = RPMB_DISABLED,
): boolean {
  if (rpmb.enabled) return !rpmb.locked[bpid];
  return states[bpName(bpid)] === WriteUnlocked;
}

/** The state a Get reports for one BP: 100b in RPMB mode, the lock state otherwise. */
export function reportedLockState(
  states: BpLockStates,
  bpid: BpId,
  rpmb: RpmbProtection = RPMB_DISABLED,
): ReportedLockState {
  return rpmb.enabled ? RpmbControlled : states[bpName(bpid)];
}

/** Get Features FID 85h SEL=001b (and SEL=010b, nothing being saveable, MC-33): Write Locked for both. */
export const DEFAULT_WRITE_PROTECTION_DW0 = bpWriteProtectionCodec.encode(POWER_ON_LOCK_STATES);

/**
 * The write-protection state of one NVM subsystem (MC-43): every controller on the same Boot
 * Partition store reads and changes this one object, each through its own WriteProtection.
 */
export class SubsystemWriteProtection {
  /** FID 85h state of both BPs (MC-30..MC-41). */
  lockStates: BpLockStates = POWER_ON_LOCK_STATES;
  /** RPMB mode and the BPLOCK bits now (MC-34). */
  rpmb: RpmbProtection;

  /** `configuredRpmb`: what the subsystem was created with; every controller must agree. */
  constructor(readonly configuredRpmb: RpmbProtection) {
    this.rpmb = configuredRpmb;
  }
}

/**
 * One controller's view of its subsystem's lock states and RPMB bits (MC-43). Every change goes
 * through here, so each BP whose state moves is traced once (`lock.transition`) on this
 * controller's trace.
 */
export class WriteProtection {
  /** The last encoded Get Features 85h dword: a host may poll it at a high rate (issue 13). */
  private currentDw0Cache:
    | { readonly lockStates: BpLockStates; readonly rpmb: RpmbProtection; readonly dw0: number }
    | undefined;

  constructor(
    private readonly subsystem: SubsystemWriteProtection,
    private readonly trace: TraceBus,
  ) {}

  get lockStates(): BpLockStates {
    return this.subsystem.lockStates;
  }

  get rpmb(): RpmbProtection {
    return this.subsystem.rpmb;
  }

  /** Set Features FID 85h (SV=0): the new states, or why nothing changed. */
  set(cdw11: number): WriteProtectionSetOutcome {
    const outcome = applyWriteProtectionSet(this.lockStates, cdw11, this.rpmb);
    if (outcome.ok) this.moveTo(outcome.next, "set-features");
    return outcome;
  }

  /** Get Features FID 85h SEL=000b: both reported states in one dword. */
  currentDw0(): number {
    // States and RPMB bits are replaced, never mutated, so their identity says when to re-encode.
    const { lockStates, rpmb } = this;
    const cached = this.currentDw0Cache;
    if (cached?.lockStates === lockStates && cached.rpmb === rpmb) return cached.dw0;
    const dw0 = bpWriteProtectionCodec.encode(this.reported());
    this.currentDw0Cache = { lockStates, rpmb, dw0 };
    return dw0;
  }

  isWritable(bpid: BpId): boolean {
    return isBpWritable(this.lockStates, bpid, this.rpmb);
  }

  /** A Controller Level Reset keeps every Set Features lock (MC-40) but relocks RPMB (MC-34). */
  onControllerReset(): void {
    this.moveTo(lockStatesAfter("controllerReset", this.lockStates), "controller-reset");
    this.relockRpmb("controller-reset");
  }

  /** A power cycle moves Write Unlocked and WLUPC to Write Locked (MC-41) and relocks RPMB (MC-34). */
  onPowerCycle(): void {
    this.moveTo(lockStatesAfter("powerCycle", this.lockStates), "power-cycle");
    this.relockRpmb("power-cycle");
  }

  /**
   * RPMB mode: what an Authenticated Device Configuration Block write with these BPLOCK bits does
   * (Security Send is not modelled, MC-34). Returns false, changing nothing, outside RPMB mode.
   */
  writeRpmbBpLocks(locked: BpPair<boolean>): boolean {
    if (!this.subsystem.rpmb.enabled) return false;
    this.subsystem.rpmb = Object.freeze({
      enabled: true,
      locked: Object.freeze([locked[0], locked[1]] as const),
    });
    this.trace.emit("rpmb.dcb-write", { bp0Locked: locked[0], bp1Locked: locked[1] });
    return true;
  }

  /** What Get Features SEL=000b reports per BP: the state, or 100b for both in RPMB mode. */
  reported(): ReportedLockStates {
    return {
      bp0: reportedLockState(this.lockStates, 0, this.rpmb),
      bp1: reportedLockState(this.lockStates, 1, this.rpmb),
    };
  }

  /** Spec names of the reported states, for reset events. */
  names(): { bp0: string; bp1: string } {
    const { bp0, bp1 } = this.reported();
    return { bp0: bpWriteProtectionStateName(bp0), bp1: bpWriteProtectionStateName(bp1) };
  }

  private moveTo(next: BpLockStates, cause: string): void {
    const previous = this.subsystem.lockStates;
    this.subsystem.lockStates = next;
    for (const bpid of BP_IDS) {
      const from = previous[bpName(bpid)];
      const to = next[bpName(bpid)];
      if (from === to) continue;
      this.trace.emit("lock.transition", {
        bpid,
        from,
        to,
        fromName: bpWriteProtectionStateName(from),
        toName: bpWriteProtectionStateName(to),
        cause,
      });
    }
  }

  /** 2.2 §8.1.3.3.2: a BP unlocked through the RPMB Device Configuration Block locks again. */
  private relockRpmb(cause: string): void {
    const previous = this.subsystem.rpmb;
    if (!previous.enabled || (previous.locked[0] && previous.locked[1])) return;
    this.subsystem.rpmb = Object.freeze({ enabled: true, locked: Object.freeze([true, true] as const) });
    for (const bpid of BP_IDS) {
      if (!previous.locked[bpid]) this.trace.emit("rpmb.relocked", { bpid, cause });
    }
  }
}

import { bpWriteProtectionStateName } from "@bplab/nvme-spec";
import type { LockStateHolder } from "./command-context.js";
import type { TraceBus } from "./trace.js";
import {
  BP_IDS,
  type BpLockStates,
  key,
  lockStatesAfterControllerReset,
  lockStatesAfterPowerCycle,
  POWER_ON_LOCK_STATES,
  type RpmbProtection,
  reportedLockState,
  rpmbAfterResetOrPowerCycle,
} from "./write-protection.js";

/**
 * The controller's current FID 85h states. Every change goes through `update`, which traces one
 * `lock.transition` per BP whose state moved; the rules themselves live in write-protection.ts.
 */
export class LockStateKeeper implements LockStateHolder {
  private current: BpLockStates = POWER_ON_LOCK_STATES;
  /** RPMB mode: the configured BPLOCK bits at power-on, relocked by every reset (MC-34). */
  private rpmbNow: RpmbProtection;

  constructor(
    rpmb: RpmbProtection,
    private readonly trace: TraceBus,
  ) {
    this.rpmbNow = rpmb;
  }

  get states(): BpLockStates {
    return this.current;
  }

  get rpmb(): RpmbProtection {
    return this.rpmbNow;
  }

  update(next: BpLockStates, cause: string): void {
    const previous = this.current;
    this.current = next;
    for (const bpid of BP_IDS) {
      const from = previous[key(bpid)];
      const to = next[key(bpid)];
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

  /** A Controller Level Reset keeps every Set Features lock (MC-40) but relocks RPMB (MC-34). */
  onControllerReset(): void {
    this.update(lockStatesAfterControllerReset(this.current), "controller-reset");
    this.relockRpmb("controller-reset");
  }

  /** A power cycle moves Write Unlocked and WLUPC to Write Locked (MC-41) and relocks RPMB (MC-34). */
  onPowerCycle(): void {
    this.update(lockStatesAfterPowerCycle(this.current), "power-cycle");
    this.relockRpmb("power-cycle");
  }

  /**
   * RPMB mode: what an Authenticated Device Configuration Block write with these BPLOCK bits does
   * (Security Send is not modelled, MC-34). Returns false, changing nothing, outside RPMB mode.
   */
  writeRpmbBpLocks(locked: readonly [boolean, boolean]): boolean {
    if (!this.rpmbNow.enabled) return false;
    this.rpmbNow = Object.freeze({ enabled: true, locked: Object.freeze([locked[0], locked[1]] as const) });
    this.trace.emit("rpmb.dcb-write", { bp0Locked: locked[0], bp1Locked: locked[1] });
    return true;
  }

  private relockRpmb(cause: string): void {
    const previous = this.rpmbNow;
    this.rpmbNow = rpmbAfterResetOrPowerCycle(previous);
    for (const bpid of BP_IDS) {
      if (previous.locked[bpid] === this.rpmbNow.locked[bpid]) continue;
      this.trace.emit("rpmb.relocked", { bpid, cause });
    }
  }

  /** What Get Features SEL=000b reports per BP: the state, or 100b for both in RPMB mode. */
  reported(): { bp0: number; bp1: number } {
    return {
      bp0: reportedLockState(this.current, 0, this.rpmb),
      bp1: reportedLockState(this.current, 1, this.rpmb),
    };
  }

  /** Spec names of the reported states, for reset events. */
  names(): { bp0: string; bp1: string } {
    const { bp0, bp1 } = this.reported();
    return { bp0: bpWriteProtectionStateName(bp0), bp1: bpWriteProtectionStateName(bp1) };
  }
}

import { BP_IDS, type BpPair, bpName, bpWriteProtectionStateName } from "@bplab/nvme-spec";
import type { LockStateHolder } from "./command-context.js";
import type { BootPartitionSubsystem } from "./subsystem.js";
import type { TraceBus } from "./trace.js";
import {
  type BpLockStates,
  lockStatesAfterControllerReset,
  lockStatesAfterPowerCycle,
  type RpmbProtection,
  reportedLockState,
  rpmbAfterResetOrPowerCycle,
} from "./write-protection.js";

/**
 * One controller's view of its subsystem's FID 85h and RPMB lock states (MC-43). Every change goes
 * through `update`, which traces one `lock.transition` per BP whose state moved on this
 * controller's trace; the rules themselves live in write-protection.ts.
 */
export class LockStateKeeper implements LockStateHolder {
  constructor(
    private readonly subsystem: BootPartitionSubsystem,
    private readonly trace: TraceBus,
  ) {}

  get states(): BpLockStates {
    return this.subsystem.lockStates;
  }

  get rpmb(): RpmbProtection {
    return this.subsystem.rpmb;
  }

  update(next: BpLockStates, cause: string): void {
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

  /** A Controller Level Reset keeps every Set Features lock (MC-40) but relocks RPMB (MC-34). */
  onControllerReset(): void {
    this.update(lockStatesAfterControllerReset(this.states), "controller-reset");
    this.relockRpmb("controller-reset");
  }

  /** A power cycle moves Write Unlocked and WLUPC to Write Locked (MC-41) and relocks RPMB (MC-34). */
  onPowerCycle(): void {
    this.update(lockStatesAfterPowerCycle(this.states), "power-cycle");
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

  private relockRpmb(cause: string): void {
    const previous = this.subsystem.rpmb;
    this.subsystem.rpmb = rpmbAfterResetOrPowerCycle(previous);
    for (const bpid of BP_IDS) {
      if (previous.locked[bpid] === this.subsystem.rpmb.locked[bpid]) continue;
      this.trace.emit("rpmb.relocked", { bpid, cause });
    }
  }

  /** What Get Features SEL=000b reports per BP: the state, or 100b for both in RPMB mode. */
  reported(): { bp0: number; bp1: number } {
    return {
      bp0: reportedLockState(this.states, 0, this.rpmb),
      bp1: reportedLockState(this.states, 1, this.rpmb),
    };
  }

  /** Spec names of the reported states, for reset events. */
  names(): { bp0: string; bp1: string } {
    const { bp0, bp1 } = this.reported();
    return { bp0: bpWriteProtectionStateName(bp0), bp1: bpWriteProtectionStateName(bp1) };
  }
}

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
} from "./write-protection.js";

/**
 * The controller's current FID 85h states. Every change goes through `update`, which traces one
 * `lock.transition` per BP whose state moved; the rules themselves live in write-protection.ts.
 */
export class LockStateKeeper implements LockStateHolder {
  private current: BpLockStates = POWER_ON_LOCK_STATES;

  constructor(
    readonly rpmb: RpmbProtection,
    private readonly trace: TraceBus,
  ) {}

  get states(): BpLockStates {
    return this.current;
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

  /** A Controller Level Reset keeps every lock (MC-40). */
  onControllerReset(): void {
    this.update(lockStatesAfterControllerReset(this.current), "controller-reset");
  }

  /** A power cycle moves Write Unlocked and WLUPC to Write Locked (MC-41). */
  onPowerCycle(): void {
    this.update(lockStatesAfterPowerCycle(this.current), "power-cycle");
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

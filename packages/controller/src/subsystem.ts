/**
 * MC-43: the Boot Partitions, ABPID and their write-protection state belong to the NVM subsystem,
 * not to one controller. Every NvmeController built on the same BootPartitionStore object shares
 * one BootPartitionSubsystem, so a lock one controller sets binds the others; a Controller Level
 * Reset of one controller keeps the Set Features locks; a power cycle is a power cycle of the
 * whole subsystem: every attached controller loses its volatile state and the locks relock.
 */
import { ControllerConfigError } from "./errors.js";
import type { BootPartitionStore } from "./ports.js";
import { type RpmbProtection, SubsystemWriteProtection } from "./write-protection.js";

/** What a controller does when its subsystem is power cycled (its own volatile reset). */
export interface SubsystemMember {
  onSubsystemPowerCycle(): void;
}

export class BootPartitionSubsystem {
  /** FID 85h lock states and RPMB bits, shared by every attached controller. */
  readonly writeProtection: SubsystemWriteProtection;
  /** Weak, so a controller nobody uses any more is not kept alive by its store. */
  readonly #members = new Set<WeakRef<SubsystemMember>>();

  constructor(rpmb: RpmbProtection) {
    this.writeProtection = new SubsystemWriteProtection(rpmb);
  }

  attach(member: SubsystemMember): void {
    this.#members.add(new WeakRef(member));
  }

  /** The volatile half of a subsystem power cycle, for every attached controller. */
  powerCycleMembers(): void {
    for (const ref of [...this.#members]) {
      const member = ref.deref();
      if (member === undefined) this.#members.delete(ref);
      else member.onSubsystemPowerCycle();
    }
  }
}

const SUBSYSTEMS = new WeakMap<BootPartitionStore, BootPartitionSubsystem>();

/** The subsystem of `store`, created by the first controller attached to it. */
export function subsystemOf(store: BootPartitionStore, rpmb: RpmbProtection): BootPartitionSubsystem {
  const existing = SUBSYSTEMS.get(store);
  if (existing === undefined) {
    const created = new BootPartitionSubsystem(rpmb);
    SUBSYSTEMS.set(store, created);
    return created;
  }
  const configured = existing.writeProtection.configuredRpmb;
  if (
    configured.enabled !== rpmb.enabled ||
    configured.locked[0] !== rpmb.locked[0] ||
    configured.locked[1] !== rpmb.locked[1]
  ) {
    throw new ControllerConfigError(
      "config.rpmb",
      "must match the controller already attached to this Boot Partition store (one subsystem, one RPMB configuration, MC-43)",
      rpmb,
    );
  }
  return existing;
}

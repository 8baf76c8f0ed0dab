/**
 * The two Boot Partitions by number (docs/spec/boot-partitions.md §2: a controller with CAP.BPS = 1
 * has exactly BP0 and BP1), and the helpers every package uses to pair a value with each.
 */

/** A Boot Partition identifier: BPINFO.ABPID, BPRSEL.BPID, the Firmware Commit BPID field. */
export type BpId = 0 | 1;

/** One value per Boot Partition, indexed by BpId: `pair[bpid]`. */
export type BpPair<T> = readonly [bp0: T, bp1: T];

/** Both Boot Partitions, in order. */
export const BP_IDS: BpPair<BpId> = Object.freeze([0, 1] as const);

/** The other Boot Partition. */
export function otherBp(bpid: BpId): BpId {
  return bpid === 0 ? 1 : 0;
}

/** "bp0" / "bp1": the key of a BP's field in FID 85h's `{ bp0, bp1 }` and in lock-state records. */
export function bpName(bpid: BpId): "bp0" | "bp1" {
  return bpid === 0 ? "bp0" : "bp1";
}

import { formatStatus, Status } from "@bplab/nvme-spec";
import type { TraceEvent } from "../src/trace.js";
import { LOCK_STATE_TRANSITIONS, type LockStateRow } from "../src/write-protection.js";

/**
 * A model of the FID 85h command rules, written from docs/spec/boot-partitions.md §4 and §7 and
 * MC-30..35 apart from src/write-protection.ts: only the §7.2 cells come from that module's table.
 * It watches the trace: every admin command the controller executes, its completion, resets and
 * power cycles. It predicts each Set/Get Features 85h outcome and reports any completion that
 * disagrees.
 */

const UNLOCKED = 1;
const LOCKED = 2;
const RPMB_CONTROLLED = 4;
const SET_FEATURES = 0x09;
const GET_FEATURES = 0x0a;
const FID_BP_WRITE_PROTECTION = 0x85;
const SAVE_BIT = 0x8000_0000;
const NSID_BROADCAST = 0xffff_ffff;
/** Identify NN of the core, QEMU's NVME_MAX_NAMESPACES (MC-35, MC-62). */
const NN = 256;

interface Pending {
  readonly cid: number;
  readonly expectedStatus: string;
  readonly next?: [number, number];
  readonly expectedDw0?: number;
}

export class LockModel {
  private states: [number, number] = [LOCKED, LOCKED];
  private pending: Pending | undefined;
  /** RPMB BPLOCK bits now: the configured ones until the first reset or power cycle. */
  private rpmbLocked: [boolean, boolean];

  constructor(private readonly rpmb?: { enabled: boolean; locked: [boolean, boolean] }) {
    this.rpmbLocked = rpmb ? [rpmb.locked[0], rpmb.locked[1]] : [true, true];
  }

  writable(bpid: 0 | 1): boolean {
    if (this.rpmb?.enabled) return !this.rpmbLocked[bpid];
    return this.states[bpid] === UNLOCKED;
  }

  describe(bpid: 0 | 1): string {
    return this.rpmb?.enabled ? `RPMB-locked=${this.rpmbLocked[bpid]}` : `state ${this.states[bpid]}`;
  }

  reported(): { bp0: number; bp1: number } {
    if (this.rpmb?.enabled) return { bp0: RPMB_CONTROLLED, bp1: RPMB_CONTROLLED };
    return { bp0: this.states[0], bp1: this.states[1] };
  }

  /** The trace kinds observe() acts on; a subscriber may ask the bus for only these. */
  static readonly observedKinds = [
    "command",
    "completion",
    "power-cycle",
    "rpmb.dcb-write",
    "reset",
  ] as const;

  /** Feeds one trace event; returns a description of a disagreement, if any. */
  observe(event: TraceEvent): string | undefined {
    switch (event.kind) {
      case "command":
        this.pending = event.sqid === 0 ? this.predict(event) : undefined;
        return undefined;
      case "completion":
        return this.complete(event);
      case "power-cycle":
        // 2.2 §8.1.3.3.2: an RPMB unlock ends at a power cycle as well as at a reset.
        this.states = [transitionsOf(this.states[0]).powerCycle, transitionsOf(this.states[1]).powerCycle];
        this.rpmbLocked = [true, true];
        return undefined;
      case "rpmb.dcb-write":
        if (this.rpmb?.enabled) this.rpmbLocked = [event.bp0Locked === true, event.bp1Locked === true];
        return undefined;
      case "reset":
        // A Controller Level Reset keeps Set Features locks but relocks an RPMB-unlocked BP.
        this.states = [
          transitionsOf(this.states[0]).controllerReset,
          transitionsOf(this.states[1]).controllerReset,
        ];
        this.rpmbLocked = [true, true];
        return undefined;
      default:
        return undefined;
    }
  }

  private predict(event: TraceEvent): Pending | undefined {
    const opcode = Number(event.opcode);
    const cdw10 = Number(event.cdw10);
    const cdw11 = Number(event.cdw11);
    const cid = Number(event.cid);
    if ((cdw10 & 0xff) !== FID_BP_WRITE_PROTECTION) return undefined;
    if (opcode !== SET_FEATURES && opcode !== GET_FEATURES) return undefined;
    const nsid = Number(event.nsid);
    if (event.fuse !== 0 || event.psdt !== 0) return { cid, expectedStatus: "0h/02h" };
    // Get of a controller-scope feature ignores NSID (MC-35).
    if (opcode === GET_FEATURES) return this.predictGet(cid, (cdw10 >>> 8) & 0b111);
    if ((cdw10 & SAVE_BIT) !== 0) return { cid, expectedStatus: "1h/0Dh" };
    if (nsid !== 0 && nsid !== NSID_BROADCAST)
      return { cid, expectedStatus: nsid <= NN ? "1h/0Fh" : "0h/0Bh" };
    const requested: [number, number] = [cdw11 & 0b111, (cdw11 >>> 3) & 0b111];
    const rows = this.rpmb?.enabled ? [RPMB_CONTROLLED, RPMB_CONTROLLED] : this.states;
    const cells = requested.map((value, bpid) => transitionsOf(rows[bpid]!).set[value]!);
    // MC-30: a value that is not a Set value (either field) before a refusal (either field).
    if (cells.some((cell) => "status" in cell && cell.status === Status.InvalidField)) {
      return { cid, expectedStatus: "0h/02h" };
    }
    const refusal = cells.find((cell) => "status" in cell);
    if (refusal && "status" in refusal) return { cid, expectedStatus: formatStatus(refusal.status) };
    if (this.rpmb?.enabled) return { cid, expectedStatus: "0h/00h" };
    const next = cells.map((cell, bpid) => ("to" in cell ? cell.to : this.states[bpid]!)) as [number, number];
    return { cid, expectedStatus: "0h/00h", next };
  }

  private predictGet(cid: number, sel: number): Pending {
    const byteOf = (bp0: number, bp1: number) => bp0 | (bp1 << 3);
    switch (sel) {
      case 0: {
        const { bp0, bp1 } = this.reported();
        return { cid, expectedStatus: "0h/00h", expectedDw0: byteOf(bp0, bp1) };
      }
      case 1:
      case 2:
        return { cid, expectedStatus: "0h/00h", expectedDw0: byteOf(LOCKED, LOCKED) };
      case 3:
        return { cid, expectedStatus: "0h/00h", expectedDw0: 0b100 };
      default:
        return { cid, expectedStatus: "0h/02h" };
    }
  }

  private complete(event: TraceEvent): string | undefined {
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined || event.sqid !== 0 || Number(event.cid) !== pending.cid) return undefined;
    if (event.status !== pending.expectedStatus) {
      return `FID 85h command CID ${pending.cid}: status ${String(event.status)}, model expected ${pending.expectedStatus}`;
    }
    if (pending.expectedDw0 !== undefined && Number(event.dw0) !== pending.expectedDw0) {
      return `Get Features 85h DW0 ${String(event.dw0)}, model expected ${pending.expectedDw0}`;
    }
    if (pending.next) this.states = pending.next;
    return undefined;
  }
}

/** The §7.2 row of a reported state (the module's table, read by number). */
function transitionsOf(state: number): LockStateRow<number> {
  const row = (LOCK_STATE_TRANSITIONS as unknown as Record<number, LockStateRow<number>>)[state];
  if (row === undefined) throw new Error(`no §7.2 row for state ${state}`);
  return row;
}

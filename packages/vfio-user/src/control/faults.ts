/**
 * Store faults the control channel arms: the wrapped stores fail the next N operations of one kind
 * with a StorageError, as a full disk or a dying flash part would, so the controller's error
 * paths (MC-13: a failed commit keeps the old image) can be driven from outside a running guest.
 */
import type { BootPartitionStore, NamespaceStore } from "@bplab/controller";
import { CodedError } from "@bplab/node-kit";
import type { BpId } from "@bplab/nvme-spec";
import type { FaultKind } from "./requests.js";

/** What an armed fault throws from the store; the controller turns it into an error status. */
export class InjectedFaultError extends CodedError<"INJECTED_FAULT"> {}

export class FaultInjector {
  private readonly armed = new Map<FaultKind, number>();
  private readonly fired = new Map<FaultKind, number>();

  arm(kind: FaultKind, count: number): void {
    this.armed.set(kind, (this.armed.get(kind) ?? 0) + count);
  }

  clear(): void {
    this.armed.clear();
  }

  /** Armed counts still to fire and counts already fired, per kind. */
  snapshot(): { armed: Record<string, number>; fired: Record<string, number> } {
    return { armed: Object.fromEntries(this.armed), fired: Object.fromEntries(this.fired) };
  }

  /** Throws when a fault of `kind` is armed (and uses one up). */
  check(kind: FaultKind, what: string): void {
    const left = this.armed.get(kind) ?? 0;
    if (left === 0) return;
    if (left === 1) this.armed.delete(kind);
    else this.armed.set(kind, left - 1);
    this.fired.set(kind, (this.fired.get(kind) ?? 0) + 1);
    throw new InjectedFaultError("INJECTED_FAULT", `${what}: injected fault ${kind}`);
  }

  wrapBootPartitions(store: BootPartitionStore): BootPartitionStore {
    const faults = this;
    return {
      get bpSizeBytes() {
        return store.bpSizeBytes;
      },
      get stagedLength() {
        return store.stagedLength;
      },
      get activeBpid() {
        return store.activeBpid;
      },
      readBp: (bpid: BpId, offset: number, into: Uint8Array) => store.readBp(bpid, offset, into),
      stageWrite(offset: number, data: Uint8Array) {
        faults.check("bp-stage-error", "staging");
        store.stageWrite(offset, data);
      },
      discardStaged: () => store.discardStaged(),
      commitStaged(bpid: BpId) {
        // The controller drops the staged image after a failed commit (MC-13); nothing to do here.
        faults.check("bp-commit-error", `bp${bpid}`);
        store.commitStaged(bpid);
      },
      setActiveBpid: (bpid: BpId) => store.setActiveBpid(bpid),
    };
  }

  wrapNamespace(store: NamespaceStore): NamespaceStore {
    const faults = this;
    return {
      get sizeBytes() {
        return store.sizeBytes;
      },
      read: (offset: number, into: Uint8Array) => store.read(offset, into),
      write(offset: number, data: Uint8Array) {
        faults.check("namespace-write-error", "namespace");
        store.write(offset, data);
      },
      writeZeroes(offset: number, length: number) {
        faults.check("namespace-write-error", "namespace");
        store.writeZeroes(offset, length);
      },
      flush: () => store.flush(),
    };
  }
}

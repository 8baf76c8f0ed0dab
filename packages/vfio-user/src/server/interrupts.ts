/**
 * MSI-X vectors as eventfds from SET_IRQS. Raising vector n writes an 8-byte 1 to its eventfd,
 * which QEMU turns into the MSI-X message the guest programmed. Without eventfds (no fd passing, or
 * the guest never enabled MSI-X) an interrupt goes nowhere: polling hosts do not need one.
 */
import { writeSync } from "node:fs";
import type { InterruptSink } from "@bplab/controller";
import { badMessage } from "../errors.js";
import { Errno, IrqIndex, SetIrqsFlag } from "../protocol/constants.js";
import type { ClientRequest } from "../protocol/messages.js";
import { closeQuietly } from "./transport.js";

const EVENTFD_ONE = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]);
const DATA_TYPES = SetIrqsFlag.DataNone | SetIrqsFlag.DataBool | SetIrqsFlag.DataEventfd;
const ACTIONS = SetIrqsFlag.ActionMask | SetIrqsFlag.ActionUnmask | SetIrqsFlag.ActionTrigger;

function exactlyOneBit(value: number): boolean {
  return value !== 0 && (value & (value - 1)) === 0;
}

export class MsixEventfds implements InterruptSink {
  private readonly eventfds: Array<number | undefined>;
  raised = 0;
  dropped = 0;

  constructor(
    readonly vectors: number,
    private readonly onDropped: () => void,
  ) {
    this.eventfds = new Array(vectors).fill(undefined);
  }

  get armed(): number {
    return this.eventfds.filter((fd) => fd !== undefined).length;
  }

  assert(vector: number): void {
    const fd = this.eventfds[vector];
    if (fd === undefined) {
      this.dropped += 1;
      this.onDropped();
      return;
    }
    try {
      writeSync(fd, EVENTFD_ONE);
      this.raised += 1;
    } catch {
      this.dropped += 1;
    }
  }

  deassert(_vector: number): void {
    // MSI-X is edge-triggered: nothing to lower.
  }

  /** Applies SET_IRQS; takes the fds it keeps out of `fds` (the caller closes the rest). */
  set(request: Extract<ClientRequest, { kind: "setIrqs" }>, fds: number[]): void {
    const { flags, index, start, count } = request;
    const dataType = flags & DATA_TYPES;
    const action = flags & ACTIONS;
    if (flags & ~(DATA_TYPES | ACTIONS) || !exactlyOneBit(dataType) || !exactlyOneBit(action))
      throw badMessage(Errno.EINVAL, "SET_IRQS: flags");
    if (index !== IrqIndex.Msix) {
      // Only MSI-X exists (count 0 elsewhere): disabling the others is accepted, anything else not.
      if (count === 0 && dataType === SetIrqsFlag.DataNone) return;
      throw badMessage(Errno.EINVAL, "SET_IRQS: no such interrupt");
    }
    if (start > this.vectors || count > this.vectors - start)
      throw badMessage(Errno.EINVAL, "SET_IRQS: range");
    if (action !== SetIrqsFlag.ActionTrigger) return; // mask/unmask: QEMU masks in its MSI-X table
    if (dataType === SetIrqsFlag.DataNone) {
      if (count === 0) this.clear();
      else for (let vector = start; vector < start + count; vector++) this.assert(vector);
      return;
    }
    if (dataType === SetIrqsFlag.DataBool) {
      if (request.data.length < count) throw badMessage(Errno.EINVAL, "SET_IRQS: bool data");
      for (let i = 0; i < count; i++) if (request.data[i]) this.assert(start + i);
      return;
    }
    // DATA_EVENTFD: one fd per vector, or none at all to de-assign the range.
    if (fds.length !== 0 && fds.length !== count) throw badMessage(Errno.EINVAL, "SET_IRQS: fd count");
    const taken = fds.splice(0);
    for (let i = 0; i < count; i++) {
      const old = this.eventfds[start + i];
      if (old !== undefined) closeQuietly(old);
      this.eventfds[start + i] = taken[i];
    }
  }

  clear(): void {
    for (let vector = 0; vector < this.vectors; vector++) {
      const fd = this.eventfds[vector];
      if (fd !== undefined) closeQuietly(fd);
      this.eventfds[vector] = undefined;
    }
  }
}

import {
  aqaCodec,
  CapCss,
  type CompletionQueueEntry,
  CQE_SIZE,
  capCodec,
  ccCodec,
  cstsCodec,
  decodeDoorbellOffset,
  decodeSqe,
  encodeCqe,
  RegisterOffset,
  SQE_SIZE,
  Status,
  type StatusCode,
  type SubmissionQueueEntry,
  toNvmeStatus,
} from "@bplab/nvme-spec";
import type { Target } from "../../src/target.js";
import { FlatMemory } from "../../src/targets/flat-memory.js";

export interface FakeCommandResult {
  status?: StatusCode;
  dw0?: number;
}

/** What the fake device does with one command; return undefined to never complete it. */
export type FakeCommandHandler = (
  sqe: SubmissionQueueEntry,
  target: FakeTarget,
) => FakeCommandResult | undefined;

export interface FakeTargetOptions {
  dstrd?: number;
  /** CAP.MQES (0's based). */
  mqes?: number;
  handler?: FakeCommandHandler;
  /** Raise CSTS.CFS when the host enables the controller. */
  fatalOnEnable?: boolean;
}

/**
 * A tiny NVMe device that only knows the admin queue mechanics: CC/CSTS handshake, SQ tail and CQ
 * head doorbells, phase tags. Each command goes to `handler` (default: success with DW0 = CDW10).
 * It processes commands only in settle(); a handler that returns undefined holds a command back
 * until the test (or a later call) completes it, so tests control exactly when completions appear.
 */
export class FakeTarget implements Target {
  readonly name = "fake";
  readonly memory = new FlatMemory({ sizeBytes: 8 * 1024 * 1024 });
  readonly commands: SubmissionQueueEntry[] = [];
  readonly doorbellWrites: { kind: "sq-tail" | "cq-head"; value: number }[] = [];
  /** Replaces the handler from the options while set. */
  handlerOverride?: FakeCommandHandler;
  settleCount = 0;
  private cc = 0;
  private aqa = 0;
  private asq = 0n;
  private acq = 0n;
  private ready = false;
  private sqHead = 0;
  private sqTail = 0;
  private cqTail = 0;
  private cqHead = 0;
  private phase: 0 | 1 = 1;

  constructor(private readonly options: FakeTargetOptions = {}) {}

  get handler(): FakeCommandHandler {
    return this.handlerOverride ?? this.options.handler ?? ((sqe) => ({ dw0: sqe.cdw10 }));
  }

  private get depths(): { sq: number; cq: number } {
    const aqa = aqaCodec.decode(this.aqa);
    return { sq: aqa.asqs + 1, cq: aqa.acqs + 1 };
  }

  async mmioRead32(offset: number): Promise<number> {
    if (offset === RegisterOffset.CC) return this.cc;
    if (offset === RegisterOffset.CSTS) {
      return cstsCodec.encode({
        rdy: this.ready,
        cfs: Boolean(this.options.fatalOnEnable && ccCodec.decode(this.cc).en),
      });
    }
    return 0;
  }

  async mmioRead64(offset: number): Promise<bigint> {
    if (offset !== RegisterOffset.CAP) return 0n;
    return capCodec.encode({
      mqes: this.options.mqes ?? 63,
      dstrd: this.options.dstrd ?? 0,
      css: CapCss.Nvm,
      bps: true,
      to: 1,
    });
  }

  async mmioWrite32(offset: number, value: number): Promise<void> {
    if (offset === RegisterOffset.CC) return this.writeCc(value);
    if (offset === RegisterOffset.AQA) {
      this.aqa = value;
      return;
    }
    const doorbell = decodeDoorbellOffset(offset, this.options.dstrd ?? 0);
    if (doorbell?.qid !== 0) return;
    this.doorbellWrites.push({ kind: doorbell.kind, value });
    if (doorbell.kind === "sq-tail") this.sqTail = value;
    else this.cqHead = value;
  }

  async mmioWrite64(offset: number, value: bigint): Promise<void> {
    if (offset === RegisterOffset.ASQ) this.asq = value;
    if (offset === RegisterOffset.ACQ) this.acq = value;
  }

  async alloc(size: number, align?: number): Promise<bigint> {
    return this.memory.alloc(size, align);
  }

  async memRead(addr: bigint, length: number): Promise<Uint8Array> {
    return this.memory.read(addr, length);
  }

  async memWrite(addr: bigint, data: Uint8Array): Promise<void> {
    this.memory.write(addr, data);
  }

  async settle(): Promise<void> {
    this.settleCount++;
    if (!this.ready) return;
    const { sq, cq } = this.depths;
    while (this.sqHead !== this.sqTail && (this.cqTail + 1) % cq !== this.cqHead) {
      const sqe = decodeSqe(this.memory.read(this.asq + BigInt(this.sqHead * SQE_SIZE), SQE_SIZE));
      this.sqHead = (this.sqHead + 1) % sq;
      this.commands.push(sqe);
      const result = this.handler(sqe, this);
      if (result) this.complete(sqe, result);
    }
  }

  /** Posts a completion for `sqe` now (used to finish a command the handler held back). */
  complete(sqe: SubmissionQueueEntry, result: FakeCommandResult): void {
    const cqe: CompletionQueueEntry = {
      dw0: result.dw0 ?? 0,
      dw1: 0,
      sqhd: this.sqHead,
      sqid: 0,
      cid: sqe.cid,
      phase: this.phase,
      status: toNvmeStatus(result.status ?? Status.Success),
    };
    this.memory.write(this.acq + BigInt(this.cqTail * CQE_SIZE), encodeCqe(cqe));
    this.cqTail++;
    if (this.cqTail === this.depths.cq) {
      this.cqTail = 0;
      this.phase = this.phase === 1 ? 0 : 1;
    }
  }

  private writeCc(value: number): void {
    const wasEnabled = ccCodec.decode(this.cc).en;
    this.cc = value;
    const enabled = ccCodec.decode(value).en;
    if (enabled && !wasEnabled) {
      this.sqHead = this.sqTail = this.cqTail = this.cqHead = 0;
      this.phase = 1;
      this.ready = !this.options.fatalOnEnable;
    } else if (!enabled) this.ready = false;
  }

  async powerCycle(): Promise<void> {
    this.writeCc(0);
  }

  async functionReset(): Promise<void> {
    this.writeCc(0);
  }

  async close(): Promise<void> {}
}

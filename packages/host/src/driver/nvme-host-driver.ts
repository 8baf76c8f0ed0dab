import {
  BASE_ADDRESS_ALIGNMENT_BYTES,
  BootReadStatus,
  BPRSEL_UNIT_BYTES,
  type BpId,
  type Bpinfo,
  bootPartitionLogOffset,
  bpinfoCodec,
  bpWriteProtectionCodec,
  bpWriteProtectionForOne,
  buildFirmwareCommit,
  buildFirmwareImageDownload,
  buildGetFeatures,
  buildGetLogPage,
  buildIdentify,
  buildSetFeatures,
  Cns,
  DWORD_SIZE_BYTES,
  decodeIdentifyController,
  encodeBpWriteProtection,
  FeatureId,
  FeatureSelect,
  FWUG_NO_INFORMATION,
  FWUG_NO_RESTRICTION,
  FWUG_UNIT_BYTES,
  formatStatus,
  IDENTIFY_DATA_SIZE,
  type IdentifyController,
  LogPageId,
  maxDataTransferBytes,
  memoryPageSizeBytes,
  RegisterOffset,
  Status,
  type SubmissionQueueEntry,
} from "@bplab/nvme-spec";
import type { Target } from "../target.js";
import { bpRegisterRead, bprselUnitsFor, MAX_BPRSZ_UNITS } from "./bp-register-read.js";
import { HostUsageError, NvmeCommandError } from "./errors.js";
import {
  type CommandOutcome,
  type DataOutcome,
  type DriverOptions,
  outcomeOf,
  QueueDriver,
} from "./queue-driver.js";
import { formatBrs } from "./transcript.js";

/** Transfer limit used when Identify reports MDTS=0 (no limit): keeps one command's buffer modest. */
export const UNLIMITED_MDTS_TRANSFER_BYTES = 1 << 20;

export type BpWriteProtectionRequest = { bp0: number; bp1: number };

export interface BpWriteProtectionOutcome extends CommandOutcome {
  /** BP0WPS / BP1WPS from DW0 (meaningful when ok). */
  readonly bp0: number;
  readonly bp1: number;
}

export interface DownloadOutcome {
  readonly ok: boolean;
  /** One outcome per piece sent; stops after the first failure. */
  readonly pieces: readonly CommandOutcome[];
  /** The failing piece's byte offset, when one failed. */
  readonly failedAtOffset?: number;
}

export interface BpReadOutcome {
  readonly ok: boolean;
  readonly data: Uint8Array;
  /** For a log read: the failing command's status; for a register read: "BRS=11b" and the like. */
  readonly status: string;
}

export interface RegisterReadOutcome extends BpReadOutcome {
  /** BPINFO.BRS of the last chunk. */
  readonly brs: number;
}

/**
 * What builders need besides the command's own fields: the CID and PRP1 are placeholders, the
 * queue assigns the CID and submitAdminWithData the PRPs.
 */
function emptySqe(): Pick<SubmissionQueueEntry, "cid" | "prp1"> {
  return { cid: 0, prp1: 0n };
}

/**
 * The transport-agnostic NVMe host driver: brings a controller up through a Target and offers the
 * admin commands a Boot Partition host needs. Helpers return outcomes instead of throwing on an
 * NVMe error status, because the scenarios are about those statuses; only commands the driver
 * itself depends on (Identify) throw NvmeCommandError.
 */
export class NvmeHostDriver extends QueueDriver {
  private identity?: IdentifyController;

  static async attach(target: Target, options: DriverOptions = {}): Promise<NvmeHostDriver> {
    const driver = new NvmeHostDriver(target, options);
    await driver.bringUp();
    return driver;
  }

  /**
   * Brings the controller up again after something outside the driver reset it (a power cycle,
   * a function reset). Pass `reallocate` when the target lost its host memory (a QEMU restart).
   */
  async reattach(options: { reallocate?: boolean } = {}): Promise<void> {
    this.transcript.note("reattach");
    this.identity = undefined;
    // Host memory from before a process restart is gone: allocate the read buffer again too.
    if (options.reallocate) this.registerBuffer = undefined;
    await this.bringUp(options.reallocate ?? false);
  }

  /** A Controller Level Reset from the host: CC.EN 1→0, wait RDY=0, then the full bring-up again. */
  async controllerReset(): Promise<void> {
    this.transcript.note("controller reset (CC.EN 1→0, then re-enable)");
    await this.bringUp();
  }

  async identifyControllerRaw(): Promise<DataOutcome> {
    const sqe = buildIdentify({ ...emptySqe(), cns: Cns.Controller });
    return this.submitAdminWithData(sqe, { direction: "device-to-host", length: IDENTIFY_DATA_SIZE });
  }

  /** Identify Controller, parsed; cached until the next reattach. */
  async identifyController(): Promise<IdentifyController> {
    if (this.identity) return this.identity;
    const outcome = await this.identifyControllerRaw();
    if (!outcome.ok) throw new NvmeCommandError("Identify Controller", outcome.completion, outcome.status);
    this.identity = decodeIdentifyController(outcome.data);
    return this.identity;
  }

  /** Largest data transfer of one command: 2^MDTS memory pages (CAP.MPSMIN), MDTS=0 meaning no limit. */
  async maxTransferBytes(): Promise<number> {
    const { mdts } = await this.identifyController();
    const limit = maxDataTransferBytes(mdts, memoryPageSizeBytes(this.capabilities.mpsmin));
    return Math.min(limit, UNLIMITED_MDTS_TRANSFER_BYTES);
  }

  /** Firmware Update Granularity in bytes: FWUG x 4 KiB, or 4 KiB when FWUG is 0h or FFh. */
  async firmwareUpdateGranularityBytes(): Promise<number> {
    const { fwug } = await this.identifyController();
    return fwugBytes(fwug);
  }

  async getFeature(
    fid: number,
    options: { sel?: number; nsid?: number; cdw11?: number } = {},
  ): Promise<CommandOutcome> {
    const sqe = buildGetFeatures({
      ...emptySqe(),
      fid,
      sel: options.sel ?? FeatureSelect.Current,
      nsid: options.nsid,
      cdw11: options.cdw11,
    });
    return outcomeOf(await this.submitAdmin(sqe));
  }

  async setFeature(
    fid: number,
    cdw11: number,
    options: { sv?: boolean; nsid?: number } = {},
  ): Promise<CommandOutcome> {
    const sqe = buildSetFeatures({ ...emptySqe(), fid, sv: options.sv ?? false, cdw11, nsid: options.nsid });
    return outcomeOf(await this.submitAdmin(sqe));
  }

  /** Get Features FID 85h; `sel` picks current / default / saved / supported capabilities. */
  async getBpWriteProtection(sel: number = FeatureSelect.Current): Promise<BpWriteProtectionOutcome> {
    const outcome = await this.getFeature(FeatureId.BootPartitionWriteProtection, { sel });
    const { bp0, bp1 } = bpWriteProtectionCodec.decode(outcome.dw0);
    return { ...outcome, bp0, bp1 };
  }

  /** Set Features FID 85h with both fields (000b leaves a BP as it is). */
  async setBpWriteProtection(
    request: BpWriteProtectionRequest,
    options: { sv?: boolean } = {},
  ): Promise<CommandOutcome> {
    return this.setFeature(FeatureId.BootPartitionWriteProtection, encodeBpWriteProtection(request), options);
  }

  /**
   * Set Features 85h for one BP, sending 000b (no change) for the other: never the other BP's
   * current state, which fails when that BP is in WLUPC or RPMB mode (docs/spec/boot-partitions.md
   * §8.2 item 3).
   */
  async setBpLock(bpid: BpId, state: number, options: { sv?: boolean } = {}): Promise<CommandOutcome> {
    return this.setBpWriteProtection(bpWriteProtectionForOne(bpid, state), options);
  }

  /** Get Log Page with extended offset/length; `length` bytes must be a dword multiple. */
  async getLogPage(lid: number, lsp: number, offset: number | bigint, length: number): Promise<DataOutcome> {
    if (!Number.isInteger(length) || length <= 0 || length % DWORD_SIZE_BYTES !== 0) {
      throw new HostUsageError(
        "length",
        `a Get Log Page length is a positive multiple of 4 bytes, got ${length}`,
      );
    }
    const sqe = buildGetLogPage({
      ...emptySqe(),
      lid,
      lsp,
      rae: false,
      numd: length / DWORD_SIZE_BYTES - 1,
      lpo: BigInt(offset),
    });
    return this.submitAdminWithData(sqe, { direction: "device-to-host", length });
  }

  /** One Firmware Image Download piece at a byte offset (both dword multiples). */
  async firmwareImageDownloadPiece(
    data: Uint8Array,
    offsetBytes: number,
    options: { cdw12?: number } = {},
  ): Promise<CommandOutcome> {
    if (data.length === 0 || data.length % DWORD_SIZE_BYTES !== 0) {
      throw new HostUsageError(
        "data.length",
        `a download piece is a positive multiple of 4 bytes, got ${data.length}`,
      );
    }
    if (!Number.isInteger(offsetBytes) || offsetBytes < 0 || offsetBytes % DWORD_SIZE_BYTES !== 0) {
      throw new HostUsageError(
        "offsetBytes",
        `a download offset is a non-negative multiple of 4 bytes, got ${offsetBytes}`,
      );
    }
    const sqe = buildFirmwareImageDownload({
      ...emptySqe(),
      numd: data.length / DWORD_SIZE_BYTES - 1,
      ofst: offsetBytes / DWORD_SIZE_BYTES,
      cdw12: options.cdw12,
    });
    return this.submitAdminWithData(sqe, { direction: "host-to-device", data });
  }

  /** Downloads `image` in `chunkBytes` pieces from `startOffset` (default 0), stopping at the first failure. */
  async firmwareImageDownload(
    image: Uint8Array,
    chunkBytes: number,
    options: { cdw12?: number; startOffset?: number } = {},
  ): Promise<DownloadOutcome> {
    if (!Number.isInteger(chunkBytes) || chunkBytes <= 0) {
      throw new HostUsageError("chunkBytes", `must be a positive integer, got ${chunkBytes}`);
    }
    const start = options.startOffset ?? 0;
    const pieces: CommandOutcome[] = [];
    for (let done = 0; done < image.length; done += chunkBytes) {
      const piece = image.subarray(done, Math.min(done + chunkBytes, image.length));
      const outcome = await this.firmwareImageDownloadPiece(piece, start + done, { cdw12: options.cdw12 });
      pieces.push(outcome);
      if (!outcome.ok) return { ok: false, pieces, failedAtOffset: start + done };
    }
    return { ok: true, pieces };
  }

  /** Firmware Commit: CA (commit action), BPID for CA=110b/111b, FS for the slot actions. */
  async firmwareCommit(ca: number, bpid: BpId, fs = 0): Promise<CommandOutcome> {
    return outcomeOf(await this.submitAdmin(buildFirmwareCommit({ ...emptySqe(), ca, bpid, fs })));
  }

  /** Reads BP bytes through Get Log Page 15h (byte N is at log offset N + 16), chunked by MDTS. */
  async bpReadViaLog(bpid: BpId, offset: number, length: number): Promise<BpReadOutcome> {
    const chunk = await this.maxTransferBytes();
    const data = new Uint8Array(length);
    for (let done = 0; done < length; done += chunk) {
      const size = Math.min(chunk, length - done);
      const padded = Math.ceil(size / DWORD_SIZE_BYTES) * DWORD_SIZE_BYTES;
      const outcome = await this.getLogPage(
        LogPageId.BootPartition,
        bpid,
        bootPartitionLogOffset(offset + done),
        padded,
      );
      if (!outcome.ok) return { ok: false, data: data.subarray(0, done), status: outcome.status };
      data.set(outcome.data.subarray(0, size), done);
    }
    return { ok: true, data, status: formatStatus(Status.Success) };
  }

  /**
   * Reads BP bytes through BPMBL/BPRSEL, polling BPINFO.BRS (works with CC.EN=0). A read larger
   * than one BPRSEL allows (1023 x 4 KiB) goes in several pieces. `offset` is 4 KiB aligned.
   */
  async bpReadViaRegisters(bpid: BpId, offset: number, length: number): Promise<RegisterReadOutcome> {
    bprselUnitsFor(offset, length);
    const wholeUnits = Math.ceil(length / BPRSEL_UNIT_BYTES) * BPRSEL_UNIT_BYTES;
    const chunk = Math.min(MAX_BPRSZ_UNITS * BPRSEL_UNIT_BYTES, wholeUnits);
    const buffer = await this.registerReadBuffer(chunk);
    const data = new Uint8Array(length);
    let brs: number = BootReadStatus.None;
    for (let done = 0; done < length; done += chunk) {
      const size = Math.min(chunk, length - done);
      const { bprof, bprsz } = bprselUnitsFor(offset + done, size);
      const request = { bpid, bprofUnits: bprof, bprszUnits: bprsz, bufferAddr: buffer };
      brs = (await bpRegisterRead(this.target, request, this.maxPolls)).brs;
      this.transcript.register(`BPRSEL ← BPID=${bpid} BPROF=${bprof} BPRSZ=${bprsz}; BRS=${formatBrs(brs)}`);
      if (brs !== BootReadStatus.Success) {
        return { ok: false, data: data.subarray(0, done), status: `BRS=${formatBrs(brs)}`, brs };
      }
      data.set(await this.target.memRead(buffer, size), done);
    }
    return { ok: true, data, status: `BRS=${formatBrs(BootReadStatus.Success)}`, brs };
  }

  private registerBuffer?: { addr: bigint; size: number };

  private async registerReadBuffer(size: number): Promise<bigint> {
    if (this.registerBuffer && this.registerBuffer.size >= size) return this.registerBuffer.addr;
    const addr = await this.target.alloc(size, BASE_ADDRESS_ALIGNMENT_BYTES);
    this.registerBuffer = { addr, size };
    return addr;
  }

  /** BPINFO decoded: BPSZ, BRS, ABPID. */
  async readBpinfo(): Promise<Bpinfo> {
    return bpinfoCodec.decode(await this.target.mmioRead32(RegisterOffset.BPINFO));
  }
}

/** FWUG (Identify byte 319) in bytes: 0h (no information) and FFh (no restriction) mean 4 KiB. */
export function fwugBytes(fwug: number): number {
  if (fwug === FWUG_NO_INFORMATION || fwug === FWUG_NO_RESTRICTION) return FWUG_UNIT_BYTES;
  return fwug * FWUG_UNIT_BYTES;
}

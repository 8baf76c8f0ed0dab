import {
  type BpId,
  BpWriteProtectionState,
  bootPartitionLogOffset,
  bpName,
  bpWriteProtectionCodec,
  buildFirmwareCommit,
  buildFirmwareImageDownload,
  buildGetFeatures,
  buildGetLogPage,
  buildSetFeatures,
  CommitAction,
  DWORD_SIZE_BYTES,
  FeatureId,
  GET_LOG_PAGE_CDW10_LAYOUT,
  LogPageId,
  numdForBytes,
  type SubmissionQueueEntry,
} from "@bplab/nvme-spec";
import type { NvmeHostDriver } from "../driver/nvme-host-driver.js";
import { type CommandOutcome, type DataOutcome, outcomeOf } from "../driver/queue-driver.js";

/**
 * The downstream UEFI firmware's Boot Partition library (SreStorageNvmeLib.c in
 * kat-perez/odp-platform-common), replayed command by command with the same dword values, so a
 * scenario shows what a controller does with them. Written from a reading of that code; nothing
 * is copied. Its habits, all kept on purpose:
 *  - every lock change is a read-modify-write: Get Features 85h, replace one BP's field, Set the
 *    result, so the OTHER BP's current state is sent back instead of 000b (the known bug);
 *  - downloads are FWUG-sized blocks, in order from 0, with CDW12 = 1, a vendor "BP data" route
 *    hint (MC-15);
 *  - the commit CDW10 is (BPID << 31) | (110b << 3);
 *  - a read is one FWUG-sized block per Get Log Page 15h with LSP = BPID & 7Fh and LPO = offset + 16.
 * The nvme-spec builders produce exactly these dwords (test/downstream-host.test.ts checks them
 * against the known vectors).
 */

/** CDW12 of every download: the vendor route hint "data for boot partition download". */
export const DOWNSTREAM_ROUTE_HINT_CDW12 = 1;

/** The library masks the BPID with the whole 7-bit LSP field, not just bit 0. */
const DOWNSTREAM_LSP_MASK = GET_LOG_PAGE_CDW10_LAYOUT.lsp.max;

/** The commands, as the library encodes them (CID and PRPs are filled in by the driver). */
export const downstreamCommands = {
  getLockConfig(): SubmissionQueueEntry {
    return buildGetFeatures({ fid: FeatureId.BootPartitionWriteProtection });
  },
  setLockConfig(cdw11: number): SubmissionQueueEntry {
    return buildSetFeatures({ fid: FeatureId.BootPartitionWriteProtection, cdw11 });
  },
  writeBlock(blockBytes: number, blockIndex: number): SubmissionQueueEntry {
    const ofst = (blockIndex * blockBytes) / DWORD_SIZE_BYTES;
    return buildFirmwareImageDownload({
      prp1: 0n,
      numd: numdForBytes(blockBytes),
      ofst,
      cdw12: DOWNSTREAM_ROUTE_HINT_CDW12,
    });
  },
  commit(bpid: BpId): SubmissionQueueEntry {
    return buildFirmwareCommit({ ca: CommitAction.ReplaceBootPartition, bpid });
  },
  readBlock(bpid: BpId, blockBytes: number, blockIndex: number): SubmissionQueueEntry {
    return buildGetLogPage({
      prp1: 0n,
      lid: LogPageId.BootPartition,
      lsp: bpid & DOWNSTREAM_LSP_MASK,
      numd: numdForBytes(blockBytes),
      lpo: bootPartitionLogOffset(blockIndex * blockBytes),
    });
  },
};

/** The CDW11 a read-modify-write host sends to put `bpid` in `state`, given the Get DW0 it read. */
export function readModifyWriteCdw11(currentDw0: number, bpid: BpId, state: number): number {
  const fields = bpWriteProtectionCodec.decode(currentDw0);
  return bpWriteProtectionCodec.encode({ ...fields, [bpName(bpid)]: state });
}

export interface LockStep {
  readonly get: CommandOutcome;
  /** What the library put in CDW11 of its Set. */
  readonly cdw11: number;
  /** Absent when the Get failed (the library stops there). */
  readonly set?: CommandOutcome;
}

/** A host that talks to the controller the way the downstream library does. */
export class DownstreamHost {
  constructor(private readonly driver: NvmeHostDriver) {}

  async getLockConfig(): Promise<CommandOutcome> {
    return outcomeOf(await this.driver.submitAdmin(downstreamCommands.getLockConfig()));
  }

  async setLockConfig(cdw11: number): Promise<CommandOutcome> {
    return outcomeOf(await this.driver.submitAdmin(downstreamCommands.setLockConfig(cdw11)));
  }

  /** NvmeSetLockState: Get, replace this BP's field, Set. */
  async setLockState(bpid: BpId, state: number): Promise<LockStep> {
    const get = await this.getLockConfig();
    const cdw11 = readModifyWriteCdw11(get.dw0, bpid, state);
    if (!get.ok) return { get, cdw11 };
    return { get, cdw11, set: await this.setLockConfig(cdw11) };
  }

  /** SreStorageWriteOpen: unlock the target BP by read-modify-write. */
  writeOpen(bpid: BpId): Promise<LockStep> {
    return this.setLockState(bpid, BpWriteProtectionState.WriteUnlocked);
  }

  /** SreStorageWriteBlock: one FWUG-sized Firmware Image Download with the route hint. */
  writeBlock(block: Uint8Array, blockIndex: number): Promise<DataOutcome> {
    const sqe = downstreamCommands.writeBlock(block.length, blockIndex);
    return this.driver.submitAdminWithData(sqe, { direction: "host-to-device", data: block });
  }

  /** SreStorageWriteClose: Firmware Commit CA=110b. */
  async writeClose(bpid: BpId): Promise<CommandOutcome> {
    return outcomeOf(await this.driver.submitAdmin(downstreamCommands.commit(bpid)));
  }

  /** SreStorageLock: Write Locked Until Power Cycle by read-modify-write. */
  lock(bpid: BpId): Promise<LockStep> {
    return this.setLockState(bpid, BpWriteProtectionState.WriteLockedUntilPowerCycle);
  }

  /** SreStorageRead: one block through Get Log Page 15h. */
  readBlock(bpid: BpId, blockIndex: number, blockBytes: number): Promise<DataOutcome> {
    const sqe = downstreamCommands.readBlock(bpid, blockBytes, blockIndex);
    return this.driver.submitAdminWithData(sqe, { direction: "device-to-host", length: blockBytes });
  }
}

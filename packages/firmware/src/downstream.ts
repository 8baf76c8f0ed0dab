/**
 * The downstream recovery firmware's storage library (SreStorageNvmeLib.c, docs/firmware.md) as
 * a model: the admin commands it sends to update one BP and lock both, in order, with the CDW
 * values it computes, and what a spec-following controller answers. The e2e test compares the
 * EFI app's trace with this list command by command.
 *
 * What the library does, and what this reproduces on purpose:
 *  - a block is FWUG x 4 KiB (FWUG 0h or FFh: 4 KiB); it writes *every* block of the BP, from
 *    offset 0, in order, with CDW12 = 1 (a vendor "BP data" hint; MC-15: ignored, traced);
 *  - Commit CDW10 = BPID << 31 | 110b << 3;
 *  - its lock helper is a read-modify-write: Get Features 85h (current), replace this BP's field,
 *    Set Features with **the other BP's Get value** instead of 000b (no change). That is its
 *    known defect: the Set re-asserts the other BP's state as it was read. Locking BP0 after the
 *    update re-sends BP1 = 001b (Write Unlocked), so BP1 stays writable until the second lock
 *    call; a failure between the two leaves it unlocked. Re-sending 011b for a BP already Write
 *    Locked Until Power Cycle is accepted only because the lab treats same-value Sets as no-ops
 *    (MC-31); a controller that rejects any Set touching a WLUPC BP (1h/0Eh) fails the second lock.
 */
import {
  AdminOpcode,
  BpWriteProtectionState,
  bootPartitionSizeBytes,
  bpWriteProtectionCodec,
  CommitAction,
  FeatureId,
  firmwareCommitCdw10Codec,
} from "@bplab/nvme-spec";

export const FWUG_UNIT_BYTES = 4096;
/** The library's Firmware Image Download CDW12: "data for boot partition download". */
export const DOWNSTREAM_DOWNLOAD_CDW12 = 1;

export interface ExpectedCommand {
  readonly what: string;
  readonly opcode: number;
  readonly cdw10: number;
  readonly cdw11: number;
  readonly cdw12: number;
  readonly length: number;
  /** For Get Features: the value a spec-following controller returns (DW0). */
  readonly dw0?: number;
}

/** The write block: FWUG x 4 KiB; 0h (no information) and FFh (no restriction) mean 4 KiB. */
export function downstreamBlockBytes(fwug: number): number {
  return fwug === 0 || fwug === 0xff ? FWUG_UNIT_BYTES : fwug * FWUG_UNIT_BYTES;
}

type Field = "bp0" | "bp1";
const fieldOf = (bpid: number): Field => (bpid === 0 ? "bp0" : "bp1");

/** The library's NvmeSetLockState: Get, then Set with this BP's field replaced; returns the new state. */
function setLockState(commands: ExpectedCommand[], state: number, bpid: number, wanted: number): number {
  const getFeatures = { opcode: AdminOpcode.GetFeatures, cdw10: FeatureId.BootPartitionWriteProtection };
  commands.push({ what: `get lock (BP${bpid})`, ...getFeatures, cdw11: 0, cdw12: 0, length: 0, dw0: state });
  const fields = bpWriteProtectionCodec.decode(state);
  const set = bpWriteProtectionCodec.encode({ ...fields, [fieldOf(bpid)]: wanted });
  commands.push({
    what: `set BP${bpid} ${wanted}, other BP re-sent as read`,
    opcode: AdminOpcode.SetFeatures,
    cdw10: FeatureId.BootPartitionWriteProtection,
    cdw11: set,
    cdw12: 0,
    length: 0,
  });
  // A spec-following controller applies both fields; an unchanged field is a no-op (MC-31).
  return set;
}

export interface DownstreamUpdate {
  bpsz: number;
  fwug: number;
  bpid: 0 | 1;
  /** FID 85h at the start (power-on: 12h, both Write Locked). */
  powerOnState: number;
  /** Also lock both BPs until power cycle (SreStorageLock A, then B). */
  lock: boolean;
}

/** Unlock → download every block → commit CA=110b → [lock A, lock B], as the library sends them. */
export function downstreamUpdateSequence(update: DownstreamUpdate): ExpectedCommand[] {
  const commands: ExpectedCommand[] = [];
  let state = setLockState(commands, update.powerOnState, update.bpid, BpWriteProtectionState.WriteUnlocked);
  const block = downstreamBlockBytes(update.fwug);
  const blocks = bootPartitionSizeBytes(update.bpsz) / block;
  for (let index = 0; index < blocks; index++) {
    commands.push({
      what: `download block ${index}`,
      opcode: AdminOpcode.FirmwareImageDownload,
      cdw10: block / 4 - 1,
      cdw11: (index * block) / 4,
      cdw12: DOWNSTREAM_DOWNLOAD_CDW12,
      length: block,
    });
  }
  commands.push({
    what: "commit CA=110b",
    opcode: AdminOpcode.FirmwareCommit,
    cdw10: firmwareCommitCdw10Codec.encode({
      fs: 0,
      ca: CommitAction.ReplaceBootPartition,
      bpid: update.bpid,
    }),
    cdw11: 0,
    cdw12: 0,
    length: 0,
  });
  if (update.lock) {
    for (const bpid of [0, 1]) {
      state = setLockState(commands, state, bpid, BpWriteProtectionState.WriteLockedUntilPowerCycle);
    }
  }
  return commands;
}

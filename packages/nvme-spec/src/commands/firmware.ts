import { dwordCodec, type Fields, uint } from "../layout.js";
import { AdminOpcode } from "../opcodes.js";
import type { SubmissionQueueEntry } from "../queue/sqe.js";
import type { CommandCommon, DataPointer, ParsedCommon } from "./common.js";
import {
  commandSqe,
  DWORD_SIZE_BYTES,
  numdToBytes,
  parsedCommon,
  prpDwords,
  rejectReserved,
} from "./common.js";

/**
 * Firmware Image Download, opcode 11h (Base 2.1 §5.1.10, Fig. 185-187;
 * docs/spec/boot-partitions.md §2.1).
 * CDW10 = NUMD (0's based dwords), CDW11 = OFST (dwords); CDW12-15 are reserved. Downstream
 * firmware sets CDW12=1 as a vendor route hint, so the builder lets a caller pass it (MC-15).
 */
export type FirmwareImageDownloadCommand = {
  /** CDW10 bits 31:0 NUMD: dwords in this piece, 0's based */
  numd: number;
  /** CDW11 bits 31:0 OFST: offset of this piece from the image start, dwords */
  ofst: number;
  /** CDW12: reserved by the spec; non-zero only to reproduce vendor firmware (MC-15) */
  cdw12: number;
};

export function buildFirmwareImageDownload(
  options: CommandCommon & DataPointer & { numd: number; ofst: number; cdw12?: number },
): SubmissionQueueEntry {
  return commandSqe(AdminOpcode.FirmwareImageDownload, options, {
    ...prpDwords(options),
    cdw10: options.numd,
    cdw11: options.ofst,
    cdw12: options.cdw12 ?? 0,
  });
}

export function parseFirmwareImageDownload(
  sqe: SubmissionQueueEntry,
): FirmwareImageDownloadCommand & ParsedCommon {
  return Object.assign(parsedCommon(sqe), { numd: sqe.cdw10, ofst: sqe.cdw11, cdw12: sqe.cdw12 });
}

/** The byte range a download piece covers. */
export function firmwareDownloadByteRange(command: Pick<FirmwareImageDownloadCommand, "numd" | "ofst">): {
  offsetBytes: number;
  lengthBytes: number;
} {
  return { offsetBytes: command.ofst * DWORD_SIZE_BYTES, lengthBytes: numdToBytes(command.numd) };
}

/** Firmware Commit CDW10 (§5.1.9, Fig. 181; docs/spec/boot-partitions.md §2.2). */
export const FIRMWARE_COMMIT_CDW10_LAYOUT = Object.freeze({
  /** bits 2:0 FS: firmware slot, 0 = controller picks; ignored for CA 110b/111b (MC-24) */
  fs: uint(2, 0),
  /** bits 5:3 CA: commit action, see CommitAction; 100b-101b reserved */
  ca: uint(5, 3),
  /** bit 31 BPID: the Boot Partition CA 110b/111b act on */
  bpid: uint(31, 31),
});
export type FirmwareCommitCommand = Fields<typeof FIRMWARE_COMMIT_CDW10_LAYOUT>;
export const firmwareCommitCdw10Codec = dwordCodec("Firmware Commit.CDW10", FIRMWARE_COMMIT_CDW10_LAYOUT);

/** CA values (Fig. 181). */
export const CommitAction = Object.freeze({
  /** 000b: replace the image in slot FS, do not activate */
  ReplaceSlot: 0b000,
  /** 001b: replace the image in slot FS, activate at the next Controller Level Reset */
  ReplaceAndActivateOnReset: 0b001,
  /** 010b: activate the image already in slot FS at the next Controller Level Reset */
  ActivateOnReset: 0b010,
  /** 011b: replace and activate immediately */
  ReplaceAndActivateNow: 0b011,
  /** 110b: the downloaded image replaces Boot Partition BPID */
  ReplaceBootPartition: 0b110,
  /** 111b: mark Boot Partition BPID active (BPINFO.ABPID) */
  ActivateBootPartition: 0b111,
});

export const COMMIT_ACTION_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [CommitAction.ReplaceSlot]: "replace slot",
  [CommitAction.ReplaceAndActivateOnReset]: "replace slot, activate on reset",
  [CommitAction.ActivateOnReset]: "activate slot on reset",
  [CommitAction.ReplaceAndActivateNow]: "replace slot, activate now",
  [CommitAction.ReplaceBootPartition]: "replace BP",
  [CommitAction.ActivateBootPartition]: "activate BP",
});

/** Whether a CA value is one of the reserved 100b / 101b. */
export function isReservedCommitAction(ca: number): boolean {
  return COMMIT_ACTION_NAMES[ca] === undefined;
}

export function buildFirmwareCommit(
  options: CommandCommon & { fs?: number; ca: number; bpid?: number },
): SubmissionQueueEntry {
  const cdw10 = firmwareCommitCdw10Codec.encode({
    fs: options.fs ?? 0,
    ca: options.ca,
    bpid: options.bpid ?? 0,
  });
  rejectReserved(
    "Firmware Commit.CA",
    options.ca,
    isReservedCommitAction(options.ca),
    "CA 100b-101b are reserved",
  );
  return commandSqe(AdminOpcode.FirmwareCommit, options, { cdw10 });
}

export function parseFirmwareCommit(sqe: SubmissionQueueEntry): FirmwareCommitCommand & ParsedCommon {
  return firmwareCommitCdw10Codec.decodeInto(sqe.cdw10, parsedCommon(sqe));
}

/** Completion DW0 of Firmware Commit (Fig. 182): the MUD bits, always 0 in this lab (MC-26). */
export const FIRMWARE_COMMIT_DW0_LAYOUT = Object.freeze({
  /** bits 1:0 MUD: multiple update detected; bit 0 ASQFWO, bit 1 MEFWO */
  mud: uint(1, 0),
});
export const firmwareCommitDw0Codec = dwordCodec("Firmware Commit.DW0", FIRMWARE_COMMIT_DW0_LAYOUT);

export type CommitActionValue = (typeof CommitAction)[keyof typeof CommitAction];

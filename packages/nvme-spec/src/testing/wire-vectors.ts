/**
 * Whole SQEs and CQEs as bytes, written out by hand (little endian) for the commands the
 * downstream firmware sends (docs/spec/boot-partitions.md §10). Use them to check
 * a controller or a driver against the wire format without trusting this package's encoders.
 */

/** A zero-filled buffer of `length` bytes with the given byte runs placed at their offsets. */
function bytesAt(
  length: number,
  runs: ReadonlyArray<readonly [offset: number, bytes: readonly number[]]>,
): Uint8Array {
  const out = new Uint8Array(length);
  for (const [offset, bytes] of runs) out.set(bytes, offset);
  return out;
}

const SQE_BYTES = 64;
const CQE_BYTES = 16;

export const WireVectors = Object.freeze({
  /** Firmware Commit CID=1, CA=110b, BPID=1: CDW10 = 80000030h */
  commitReplaceBp1Cid1: bytesAt(SQE_BYTES, [
    [0, [0x10, 0x00, 0x01, 0x00]],
    [40, [0x30, 0x00, 0x00, 0x80]],
  ]),
  /** Set Features CID=2, FID 85h, CDW11 = 09h (unlock both BPs, NvmeBpWrite) */
  setBpwpUnlockBothCid2: bytesAt(SQE_BYTES, [
    [0, [0x09, 0x00, 0x02, 0x00]],
    [40, [0x85, 0x00, 0x00, 0x00]],
    [44, [0x09, 0x00, 0x00, 0x00]],
  ]),
  /** Get Log Page CID=3, LID 15h, LSP=1 (BP1), NUMDL=3FFFh (64 KiB), LPO=16 (BP byte 0), PRP1=100000h */
  getBootPartitionLogBp1Cid3: bytesAt(SQE_BYTES, [
    [0, [0x02, 0x00, 0x03, 0x00]],
    [24, [0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00]],
    [40, [0x15, 0x01, 0xff, 0x3f]],
    [48, [0x10, 0x00, 0x00, 0x00]],
  ]),
  /** Firmware Image Download CID=4, NUMD=3FFh (4 KiB), OFST=400h (byte 4096), CDW12=1 vendor hint, PRP1=200000h */
  downloadSecond4kWithHintCid4: bytesAt(SQE_BYTES, [
    [0, [0x11, 0x00, 0x04, 0x00]],
    [24, [0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00]],
    [40, [0xff, 0x03, 0x00, 0x00]],
    [44, [0x00, 0x04, 0x00, 0x00]],
    [48, [0x01, 0x00, 0x00, 0x00]],
  ]),
  /** CQE: CID=1, SQHD=5, SQID=0, phase 1, Boot Partition Write Prohibited (1h/1Eh) with DNR */
  cqeBootPartitionWriteProhibitedCid1: bytesAt(CQE_BYTES, [
    [8, [0x05, 0x00, 0x00, 0x00]],
    [12, [0x01, 0x00, 0x3d, 0x82]],
  ]),
  /** CQE: CID=2, SQHD=6, phase 1, success, DW0 = 12h (Get Features 85h: both Write Locked) */
  cqeGetBpwpBothLockedCid2: bytesAt(CQE_BYTES, [
    [0, [0x12, 0x00, 0x00, 0x00]],
    [8, [0x06, 0x00, 0x00, 0x00]],
    [12, [0x02, 0x00, 0x01, 0x00]],
  ]),
});

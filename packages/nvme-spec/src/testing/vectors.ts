/**
 * Encodings taken from docs/spec/boot-partitions.md (§1, §2.2, §4.2, §5) and from the downstream
 * UEFI firmware's commands, which its §10 summarises.
 */
export const KnownVectors = Object.freeze({
  /** Set Features FID 85h CDW11 that unlocks both BPs (NvmeBpWrite; docs/spec/boot-partitions.md §4.2) */
  bpwpUnlockBothCdw11: 0x09,
  /** CDW11 that unlocks BP1 only, BP0 = 000b no change (docs/spec/boot-partitions.md §4.2) */
  bpwpUnlockBp1OnlyCdw11: 0x08,
  /** CDW11 that puts both BPs in Write Locked Until Power Cycle (SreStorageLock: 011b) */
  bpwpLockUntilPowerCycleBothCdw11: 0x1b,
  /** CDW11 that re-locks both BPs with 010b (SreStorageWriteAbort) */
  bpwpLockBothCdw11: 0x12,
  /** Get FID 85h SEL=001b default: Write Locked for both (MC-33) */
  bpwpDefaultDw0: 0x12,
  /** Get FID 85h in RPMB mode: 100b for both (MC-34) */
  bpwpRpmbDw0: 0x24,
  /** Get FID 85h SEL=011b capabilities: changeable only (MC-33) */
  bpwpCapabilitiesDw0: 0x04,
  /** Firmware Commit CDW10 CA=110b BPID=1: (1 << 31) | (6 << 3) */
  commitReplaceBp1Cdw10: 0x8000_0030,
  /** Firmware Commit CDW10 CA=110b BPID=0 */
  commitReplaceBp0Cdw10: 0x0000_0030,
  /** Firmware Commit CDW10 CA=111b BPID=1 */
  commitActivateBp1Cdw10: 0x8000_0038,
  /** Get Log Page CDW10 LID 15h, BPID=1 in LSP bit 0 (CDW10 bit 8), NUMDL=0x3FFF (64 KiB) */
  getLogBp1Cdw10Numdl3fff: 0x3fff_0115,
  /** BPINFO for BPSZ=0x2000 (1 GiB), BRS=10b, ABPID=1 */
  bpinfoBpsz2000Success: 0x8200_2000,
  /** BPRSEL BPID=1, BPROF=3 (12 KiB), BPRSZ=2 (8 KiB) */
  bprselBp1Of3Sz2: 0x8000_0c02,
  /** Status field SCT 1h / SC 1Eh as QEMU writes it (SCT << 8 | SC) */
  statusBootPartitionWriteProhibited: 0x011e,
});

/** The first 16 bytes of a LID 15h log with BPSZ=0x2000 and ABPID=1 (libnvme struct layout). */
export const BOOT_PARTITION_LOG_HEADER_BPSZ_2000_ABPID_1: Uint8Array = Uint8Array.from([
  0x15, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
]);

/** CAP with BPS=1 and QEMU-like values: MQES=7FFh, CQR=1, TO=0Fh, DSTRD=0, CSS=NVM, MPSMIN=0, MPSMAX=4. */
export const CAP_QEMU_LIKE_WITH_BPS = 0x0040_2020_0f01_07ffn;

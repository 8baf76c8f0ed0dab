/**
 * Controller property offsets in BAR0 (NVMe Base 2.1 §3.1.4, Fig. 35 "Property Definition").
 * 64-bit properties (CAP, ASQ, ACQ, BPMBL) may be accessed as two dwords, low dword first.
 */
export const RegisterOffset = Object.freeze({
  /** 00h, 64-bit, RO: Controller Capabilities */
  CAP: 0x00,
  /** 08h, 32-bit, RO: Version */
  VS: 0x08,
  /** 0Ch, 32-bit, RW1S: Interrupt Mask Set (one bit per vector, pin/MSI only) */
  INTMS: 0x0c,
  /** 10h, 32-bit, RW1C: Interrupt Mask Clear */
  INTMC: 0x10,
  /** 14h, 32-bit, RW: Controller Configuration */
  CC: 0x14,
  /** 1Ch, 32-bit, RO: Controller Status */
  CSTS: 0x1c,
  /** 20h, 32-bit, RW: NVM Subsystem Reset (write "NVMe" = 4E564D65h) */
  NSSR: 0x20,
  /** 24h, 32-bit, RW: Admin Queue Attributes */
  AQA: 0x24,
  /** 28h, 64-bit, RW: Admin Submission Queue Base Address */
  ASQ: 0x28,
  /** 30h, 64-bit, RW: Admin Completion Queue Base Address */
  ACQ: 0x30,
  /** 40h, 32-bit, RO: Boot Partition Information (Fig. 49) */
  BPINFO: 0x40,
  /** 44h, 32-bit, RW: Boot Partition Read Select (Fig. 50) */
  BPRSEL: 0x44,
  /** 48h, 64-bit, RW: Boot Partition Memory Buffer Location (Fig. 51); 4Ch is its upper dword */
  BPMBL: 0x48,
  /** 1000h: first doorbell (SQ0TDBL); later ones are spaced by the doorbell stride */
  DOORBELL_BASE: 0x1000,
});

export type RegisterName = keyof typeof RegisterOffset;

/** Width in bytes of every property that is 64 bits wide; every other property is 4 bytes. */
export const REGISTER_64BIT_OFFSETS: readonly number[] = Object.freeze([
  RegisterOffset.CAP,
  RegisterOffset.ASQ,
  RegisterOffset.ACQ,
  RegisterOffset.BPMBL,
]);

/** Size of one dword property access, in bytes. */
export const DWORD_BYTES = 4;
/** Size of one qword property access, in bytes. */
export const QWORD_BYTES = 8;

/** Value that, written to NSSR, starts an NVM Subsystem Reset ("NVMe" in ASCII, §3.1.4.7). */
export const NSSR_RESET_VALUE = 0x4e56_4d65;

/**
 * Names by offset, built once: a subscribed trace names every register access, and walking
 * `Object.entries(RegisterOffset)` per access was a visible share of the property test (issue 13).
 * The first name listed for an offset wins, as the walk did.
 */
const REGISTER_NAMES_BY_OFFSET: ReadonlyMap<number, RegisterName> = (() => {
  const names = new Map<number, RegisterName>();
  for (const [name, value] of Object.entries(RegisterOffset)) {
    if (name !== "DOORBELL_BASE" && !names.has(value)) names.set(value, name as RegisterName);
  }
  return names;
})();

/** Name of the property at `offset`, for traces; undefined for doorbells and unknown offsets. */
export function registerName(offset: number): RegisterName | undefined {
  return REGISTER_NAMES_BY_OFFSET.get(offset);
}

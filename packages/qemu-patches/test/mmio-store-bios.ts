/**
 * A 64 KiB `-bios` image, assembled by hand, whose 16-bit real-mode code makes ONE 8-byte MMX
 * store to the nvme function's BPINFO/BPRSEL pair (BAR0 + 40h). Only a guest CPU store reaches the
 * device's MemoryRegionOps with size 8 under TCG; qtest's `writeq` is split into two 4-byte writes
 * before it gets there, so it cannot tell whether the device drops half of a 64-bit write.
 *
 * What the code does, in order:
 * 1. programs the function at bus 0, device `NVME_PCI_DEVICE`, function 0 through the legacy
 *    configuration ports 0CF8h/0CFCh: BAR0 low = 000A0000h, BAR0 high (BAR1, the BAR is 64-bit) =
 *    0, then the Command register = Memory Space Enable | Bus Master Enable. BAR0 then sits in the
 *    legacy 0A0000h window, which q35 routes to PCI when there is no VGA (`-nodefaults`) and SMRAM
 *    is closed (its reset state). Bus Master is needed because the Boot Partition read that the
 *    store starts copies the data into guest memory by DMA;
 * 2. loads the 64-bit `STORED_QWORD` from this ROM into mm0 and stores it with one `movq` at
 *    A000h:0040h. CR0 resets with EM=0 and TS=0, so MMX works in real mode without any set-up;
 * 3. writes `DONE_MARKER` at physical `DONE_MARKER_ADDRESS`, so the test knows the store has been
 *    executed (a TCG MMIO store completes before the next instruction runs), then halts forever.
 */

/** The slot the test gives the nvme function (`-device nvme,addr=04.0`). */
export const NVME_PCI_DEVICE = 4;
/** Where BAR0 is placed: the start of the legacy VGA window. */
export const BAR0_ADDRESS = 0xa0000;
/** BPINFO's offset in BAR0 (BPRSEL follows at 44h); docs/spec/boot-partitions.md §1. */
export const BPINFO_OFFSET = 0x40;

/** Anything: BPINFO is read-only, and the device must ignore this half. */
export const BPINFO_HALF = 0xdeadbeef;
/** BPID 0 (bit 31), BPROF 0 (bits 29:10), BPRSZ 1 (bits 9:0): the first 4 KiB of BP0. */
export const BPRSEL_HALF = 0x0000_0001;
/** The qword the guest stores at BAR0 + 40h: BPINFO in the low dword, BPRSEL in the high one. */
export const STORED_QWORD = (BigInt(BPRSEL_HALF) << 32n) | BigInt(BPINFO_HALF);

/** The guest writes this dword ("DONE" in memory) once the store has executed. */
export const DONE_MARKER = 0x454e_4f44;
/** Outside the 4 KiB at BPMBL (0) that the Boot Partition read fills. */
export const DONE_MARKER_ADDRESS = 0x7000;

export const BIOS_SIZE = 64 * 1024;
/** The code runs at F000h:0000h, which is image offset 0 (the image ends at 1_0000_0000h). */
const CODE_SEGMENT = 0xf000;
/** Where the stored qword lies in the image (and at F000h:0100h). */
const QWORD_OFFSET = 0x0100;
/** The reset vector: CS:IP = F000h:FFF0h, the image's last 16 bytes. */
const RESET_VECTOR_OFFSET = 0xfff0;

const PCI_CONFIG_ADDRESS_PORT = 0x0cf8;
const PCI_CONFIG_DATA_PORT = 0x0cfc;
const PCI_BAR0_LOW = 0x10;
const PCI_BAR0_HIGH = 0x14;
const PCI_COMMAND = 0x04;
const PCI_COMMAND_MEMORY = 0x2;
const PCI_COMMAND_MASTER = 0x4;

const u16 = (value: number): number[] => [value & 0xff, (value >>> 8) & 0xff];
const u32 = (value: number): number[] => [...u16(value & 0xffff), ...u16(value >>> 16)];

/** CONFIG_ADDRESS for bus 0, the nvme device, function 0, register `register`. */
function pciConfigAddress(register: number): number {
  return (0x8000_0000 | (NVME_PCI_DEVICE << 11) | register) >>> 0;
}

/** Select a configuration register of the nvme function, leaving DX = CONFIG_DATA. */
function selectPciRegister(register: number): number[] {
  return [
    ...[0x66, 0xb8, ...u32(pciConfigAddress(register))], // mov eax, CONFIG_ADDRESS value
    ...[0xba, ...u16(PCI_CONFIG_ADDRESS_PORT)], //          mov dx, 0CF8h
    ...[0x66, 0xef], //                                     out dx, eax
    ...[0xba, ...u16(PCI_CONFIG_DATA_PORT)], //             mov dx, 0CFCh
  ];
}

function pciConfigWrite32(register: number, value: number): number[] {
  return [
    ...selectPciRegister(register),
    ...[0x66, 0xb8, ...u32(value)], // mov eax, value
    ...[0x66, 0xef], //                out dx, eax
  ];
}

function pciConfigWrite16(register: number, value: number): number[] {
  return [
    ...selectPciRegister(register),
    ...[0xb8, ...u16(value)], // mov ax, value
    0xef, //                     out dx, ax
  ];
}

/** The real-mode code at F000h:0000h. */
export function guestCode(): Uint8Array {
  const code = [
    0xfa, // cli: no IVT, so no interrupt may ever be taken
    ...pciConfigWrite32(PCI_BAR0_LOW, BAR0_ADDRESS),
    ...pciConfigWrite32(PCI_BAR0_HIGH, 0),
    ...pciConfigWrite16(PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
    ...[0xb8, ...u16(CODE_SEGMENT)], //             mov ax, F000h
    ...[0x8e, 0xd8], //                             mov ds, ax
    ...[0x0f, 0x6f, 0x06, ...u16(QWORD_OFFSET)], // movq mm0, [0100h]  (ModRM 06h: [disp16])
    ...[0xb8, ...u16(BAR0_ADDRESS >>> 4)], //       mov ax, A000h
    ...[0x8e, 0xc0], //                             mov es, ax
    // movq es:[0040h], mm0: THE one 8-byte store (26h = ES override, 0F 7F = movq m64, mm)
    ...[0x26, 0x0f, 0x7f, 0x06, ...u16(BPINFO_OFFSET)],
    ...[0x31, 0xc0], //                             xor ax, ax
    ...[0x8e, 0xd8], //                             mov ds, ax
    // mov dword [7000h], DONE_MARKER (66h = 32-bit operand, C7 /0 = mov r/m, imm)
    ...[0x66, 0xc7, 0x06, ...u16(DONE_MARKER_ADDRESS), ...u32(DONE_MARKER)],
    0xf4, //                                        halt: hlt
    ...[0xeb, 0xfd], //                             jmp halt (rel8 -3: back over itself and hlt)
  ];
  if (code.length > QWORD_OFFSET)
    throw new RangeError(`guest code is ${code.length} bytes, over ${QWORD_OFFSET}`);
  return Uint8Array.from(code);
}

/** The whole image: code at 0, the qword at 100h, a far jump at the reset vector, hlt elsewhere. */
export function mmioStoreBios(): Buffer {
  const image = Buffer.alloc(BIOS_SIZE, 0xf4);
  image.set(guestCode(), 0);
  image.writeBigUInt64LE(STORED_QWORD, QWORD_OFFSET);
  // jmp far F000h:0000h (EA, offset, segment)
  image.set([0xea, ...u16(0), ...u16(CODE_SEGMENT)], RESET_VECTOR_OFFSET);
  return image;
}

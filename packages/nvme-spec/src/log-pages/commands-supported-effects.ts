import { checkUint, U8_MAX } from "../bits.js";
import { BufferReader } from "../buffer-reader.js";
import { BufferWriter } from "../buffer-writer.js";
import { dwordCodec, type Fields, flag, uint } from "../layout.js";

/**
 * LID 05h Commands Supported and Effects, 4096 bytes (Base 2.1 §5.1.12.1.6, Fig. 210):
 * ACS0-ACS255 (admin opcodes) at bytes 1023:0, IOCS0-IOCS255 (I/O opcodes) at 2047:1024.
 */
export const COMMANDS_SUPPORTED_EFFECTS_SIZE = 4096;
const ENTRY_BYTES = 4;
const OPCODE_COUNT = 256;
const IO_OFFSET = OPCODE_COUNT * ENTRY_BYTES;

/** One Commands Supported and Effects entry (Fig. 211). */
export const COMMAND_EFFECTS_LAYOUT = Object.freeze({
  /** bit 0 CSUPP: command supported */
  csupp: flag(0),
  /** bit 1 LBCC: may change logical block content */
  lbcc: flag(1),
  /** bit 2 NCC: may change namespace capabilities */
  ncc: flag(2),
  /** bit 3 NIC: may change the namespace inventory */
  nic: flag(3),
  /** bit 4 CCC: may change controller capabilities (Firmware Commit does, for slots) */
  ccc: flag(4),
  /** bits 18:16 CSE: command submission and execution restrictions */
  cse: uint(18, 16),
  /** bit 19 UUID Selection Supported */
  uss: flag(19),
  /** bits 31:20 CSP: command scope */
  csp: uint(31, 20),
});
export type CommandEffects = Fields<typeof COMMAND_EFFECTS_LAYOUT>;
export const commandEffectsCodec = dwordCodec("Commands Supported and Effects entry", COMMAND_EFFECTS_LAYOUT);

export type CommandsSupportedAndEffects = {
  /** admin opcode → entry; absent opcodes are unsupported */
  admin: ReadonlyMap<number, CommandEffects>;
  /** I/O opcode → entry */
  io: ReadonlyMap<number, CommandEffects>;
};

function writeEntries(
  writer: BufferWriter,
  base: number,
  label: string,
  entries: ReadonlyMap<number, CommandEffects>,
) {
  for (const [opcode, effects] of entries) {
    checkUint(`${label} opcode`, opcode, U8_MAX);
    writer.u32(base + opcode * ENTRY_BYTES, `${label}${opcode}`, commandEffectsCodec.encode(effects));
  }
}

function readEntries(reader: BufferReader, base: number): Map<number, CommandEffects> {
  const entries = new Map<number, CommandEffects>();
  for (let opcode = 0; opcode < OPCODE_COUNT; opcode++) {
    const dword = reader.u32(base + opcode * ENTRY_BYTES);
    if (dword !== 0) entries.set(opcode, commandEffectsCodec.decode(dword));
  }
  return entries;
}

export function encodeCommandsSupportedAndEffects(log: CommandsSupportedAndEffects): Uint8Array {
  const writer = new BufferWriter(COMMANDS_SUPPORTED_EFFECTS_SIZE);
  writeEntries(writer, 0, "ACS", log.admin);
  writeEntries(writer, IO_OFFSET, "IOCS", log.io);
  return writer.bytes;
}

export function decodeCommandsSupportedAndEffects(data: Uint8Array): CommandsSupportedAndEffects {
  const reader = new BufferReader(
    data,
    "Commands Supported and Effects log",
    COMMANDS_SUPPORTED_EFFECTS_SIZE,
  );
  return { admin: readEntries(reader, 0), io: readEntries(reader, IO_OFFSET) };
}

/** An entry that only says "supported", for commands without side effects worth reporting. */
export const SUPPORTED_NO_EFFECTS: Readonly<CommandEffects> = Object.freeze({
  csupp: true,
  lbcc: false,
  ncc: false,
  nic: false,
  ccc: false,
  cse: 0,
  uss: false,
  csp: 0,
});

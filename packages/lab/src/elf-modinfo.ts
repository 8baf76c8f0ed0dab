/**
 * Reads the `.modinfo` section of a Linux kernel module (an ELF64 relocatable object): the
 * NUL-separated `key=value` strings `modinfo` prints (depends=, softdep=, alias=, name=, ...).
 * Only what the guest builder needs: 64-bit little-endian x86 modules, uncompressed.
 */
import { GuestBuildError } from "./errors.js";

export const ELF_MAGIC = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46); // "\x7fELF"
/** ELF header field offsets and values (System V gABI, ELF64). */
export const Elf64 = Object.freeze({
  classOffset: 4,
  class64: 2,
  dataOffset: 5,
  dataLittleEndian: 1,
  sectionHeaderOffset: 0x28,
  sectionHeaderEntrySize: 0x3a,
  sectionHeaderCount: 0x3c,
  sectionNameTableIndex: 0x3e,
  /** Offsets inside one section header. */
  sectionName: 0x00,
  sectionOffset: 0x18,
  sectionSize: 0x20,
});
export const MODINFO_SECTION = ".modinfo";

function fail(file: string, rule: string): never {
  throw new GuestBuildError("kernel modules", `${file}: ${rule}`);
}

function cString(bytes: Uint8Array, start: number): string {
  let end = start;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder("latin1").decode(bytes.subarray(start, end));
}

/** The raw bytes of section `name`, or undefined when the file has no such section. */
export function elfSection(bytes: Uint8Array, name: string, file = "ELF file"): Uint8Array | undefined {
  if (bytes.length < Elf64.sectionNameTableIndex + 2 || !ELF_MAGIC.every((b, i) => bytes[i] === b)) {
    fail(file, "not an ELF file");
  }
  if (bytes[Elf64.classOffset] !== Elf64.class64 || bytes[Elf64.dataOffset] !== Elf64.dataLittleEndian) {
    fail(file, "not a 64-bit little-endian ELF file");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tableOffset = Number(view.getBigUint64(Elf64.sectionHeaderOffset, true));
  const entrySize = view.getUint16(Elf64.sectionHeaderEntrySize, true);
  const count = view.getUint16(Elf64.sectionHeaderCount, true);
  const namesIndex = view.getUint16(Elf64.sectionNameTableIndex, true);
  if (tableOffset + entrySize * count > bytes.length || namesIndex >= count) {
    fail(file, "section header table lies outside the file");
  }
  const section = (index: number) => {
    const at = tableOffset + index * entrySize;
    const offset = Number(view.getBigUint64(at + Elf64.sectionOffset, true));
    const size = Number(view.getBigUint64(at + Elf64.sectionSize, true));
    if (offset + size > bytes.length) fail(file, `section ${index} lies outside the file`);
    return {
      nameOffset: view.getUint32(at + Elf64.sectionName, true),
      data: bytes.subarray(offset, offset + size),
    };
  };
  const names = section(namesIndex).data;
  for (let index = 0; index < count; index++) {
    const candidate = section(index);
    if (cString(names, candidate.nameOffset) === name) return candidate.data;
  }
  return undefined;
}

/** The `key=value` pairs of a module's .modinfo section, in file order (keys repeat: alias=). */
export function readModinfo(bytes: Uint8Array, file = "module"): Array<[string, string]> {
  const section = elfSection(bytes, MODINFO_SECTION, file);
  if (!section) fail(file, `has no ${MODINFO_SECTION} section`);
  const pairs: Array<[string, string]> = [];
  let start = 0;
  while (start < section.length) {
    const text = cString(section, start);
    start += text.length + 1;
    const equals = text.indexOf("=");
    if (equals > 0) pairs.push([text.slice(0, equals), text.slice(equals + 1)]);
  }
  return pairs;
}

/** A minimal ELF64 little-endian file with the given sections (enough for elfSection()). */
export function buildElf64(sections: ReadonlyArray<{ name: string; data: Uint8Array }>): Uint8Array {
  const ELF_HEADER_BYTES = 64;
  const SECTION_HEADER_BYTES = 64;
  const encoder = new TextEncoder();
  // Section 0 is the null section; the name table goes last.
  const names = ["", ...sections.map((s) => s.name), ".shstrtab"];
  const nameOffsets: number[] = [];
  let nameTable = "";
  for (const name of names) {
    nameOffsets.push(nameTable.length);
    nameTable += `${name}\0`;
  }
  const datas = [new Uint8Array(0), ...sections.map((s) => s.data), encoder.encode(nameTable)];
  let offset = ELF_HEADER_BYTES;
  const placed = datas.map((data) => {
    const at = offset;
    offset += data.length;
    return at;
  });
  const tableOffset = offset;
  const file = new Uint8Array(tableOffset + SECTION_HEADER_BYTES * datas.length);
  const view = new DataView(file.buffer);
  file.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  view.setBigUint64(0x28, BigInt(tableOffset), true);
  view.setUint16(0x3a, SECTION_HEADER_BYTES, true);
  view.setUint16(0x3c, datas.length, true);
  view.setUint16(0x3e, datas.length - 1, true);
  datas.forEach((data, index) => {
    file.set(data, placed[index] as number);
    const header = tableOffset + index * SECTION_HEADER_BYTES;
    view.setUint32(header, nameOffsets[index] as number, true);
    view.setBigUint64(header + 0x18, BigInt(placed[index] as number), true);
    view.setBigUint64(header + 0x20, BigInt(data.length), true);
  });
  return file;
}

/** .modinfo content: NUL-terminated key=value strings, with the padding NULs real modules have. */
export function modinfoSection(pairs: ReadonlyArray<[string, string]>): Uint8Array {
  return new TextEncoder().encode(`${pairs.map(([k, v]) => `${k}=${v}\0`).join("\0")}\0\0`);
}

/** Spec-style hex: 1Eh, 02h, 85h. */
export function hexSpec(value: number, digits = 2): string {
  return `${value.toString(16).toUpperCase().padStart(digits, "0")}h`;
}

/** C-style hex as registers and dwords are logged: "0x00000012" (`digits` defaults to a dword). */
export function hexLiteral(value: number | bigint, digits = 8): string {
  return `0x${value.toString(16).padStart(digits, "0")}`;
}

/** Spec-style binary: 010b, 10b. `digits` is the field's width, so leading zeros show it. */
export function binarySpec(value: number, digits: number): string {
  return `${value.toString(2).padStart(digits, "0")}b`;
}

/** The table's name for a code, or "<prefix> 1Ch" when the table does not know it. */
export function nameOrHex(table: Readonly<Record<number, string>>, value: number, prefix: string): string {
  return table[value] ?? `${prefix} ${hexSpec(value)}`;
}

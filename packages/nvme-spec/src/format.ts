/** Spec-style hex: 1Eh, 02h, 85h. */
export function hexSpec(value: number, digits = 2): string {
  return `${value.toString(16).toUpperCase().padStart(digits, "0")}h`;
}

/** The table's name for a code, or "<prefix> 1Ch" when the table does not know it. */
export function nameOrHex(table: Readonly<Record<number, string>>, value: number, prefix: string): string {
  return table[value] ?? `${prefix} ${hexSpec(value)}`;
}

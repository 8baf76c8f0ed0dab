/**
 * Every codec in this package rejects input it cannot represent exactly: nothing is silently
 * truncated. The error names the field and the rule so a test failure or a CLI message is
 * actionable without reading the source.
 */
export type NvmeSpecErrorCode =
  /** A value does not fit its field (too large, negative, not an integer). */
  | "FIELD_RANGE"
  /** A value fits the field but the spec reserves it (e.g. BPWPS 101b-111b). */
  | "RESERVED_VALUE"
  /** A value must be a multiple of a unit (e.g. a 4 KiB aligned buffer address). */
  | "ALIGNMENT"
  /** A byte buffer has the wrong length for the structure being decoded. */
  | "BUFFER_SIZE"
  /** A structure header does not carry the identifier the spec requires (e.g. LID 15h). */
  | "BAD_IDENTIFIER";

/**
 * Not a @bplab/node-kit CodedError: this package has no dependencies (docs/architecture.md). It
 * has the same shape (`code`, `name` = the class name, the message), so code that handles any
 * package's error by its `code` handles this one too.
 */
export class NvmeSpecError extends Error {
  override readonly name = "NvmeSpecError";
  readonly code: NvmeSpecErrorCode;
  /** The spec field that was rejected, e.g. "BPRSEL.BPROF". */
  readonly field: string;
  /** The rule that was broken, in the field's own unit: a maximum, a multiple or a length. */
  readonly limit: number | bigint | string;

  constructor(code: NvmeSpecErrorCode, field: string, limit: number | bigint | string, message: string) {
    super(message);
    this.code = code;
    this.field = field;
    this.limit = limit;
  }
}

function show(value: unknown): string {
  if (typeof value === "bigint") return `${value} (0x${value.toString(16)})`;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) {
    return `${value} (0x${value.toString(16)})`;
  }
  return String(value);
}

export function fieldRangeError(field: string, value: unknown, max: number | bigint): NvmeSpecError {
  return new NvmeSpecError(
    "FIELD_RANGE",
    field,
    max,
    `${field} must be an integer from 0 to ${show(max)}, got ${show(value)}`,
  );
}

export function reservedValueError(field: string, value: unknown, rule: string): NvmeSpecError {
  return new NvmeSpecError("RESERVED_VALUE", field, rule, `${field}=${show(value)} is reserved: ${rule}`);
}

export function alignmentError(field: string, value: unknown, multiple: number | bigint): NvmeSpecError {
  return new NvmeSpecError(
    "ALIGNMENT",
    field,
    multiple,
    `${field} must be a multiple of ${show(multiple)}, got ${show(value)}`,
  );
}

export function bufferSizeError(structure: string, actual: number, expected: number): NvmeSpecError {
  return new NvmeSpecError(
    "BUFFER_SIZE",
    structure,
    expected,
    `${structure} needs ${expected} bytes, got ${actual}`,
  );
}

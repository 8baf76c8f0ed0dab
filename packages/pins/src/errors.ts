/** Typed errors of @bplab/pins. */
import { CodedError } from "@bplab/node-kit";

export type PinsErrorCode = "PINS_UNREADABLE" | "PINS_INVALID";

/** pins.json cannot be read or parsed, or a field breaks its rule (the message names the field). */
export class PinsError extends CodedError<PinsErrorCode> {
  constructor(
    code: PinsErrorCode,
    /** The file that was read. */
    readonly file: string,
    /** The dotted path of the offending field, when one field is at fault. */
    readonly field: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, `${file}${field ? `: ${field}` : ""}: ${message}`, options);
  }
}

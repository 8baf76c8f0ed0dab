/**
 * Base of every error this package throws: a machine-readable `code` next to a message that names
 * the field and the rule. Subclasses narrow the code to their own union.
 */
export class CodedError<Code extends string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

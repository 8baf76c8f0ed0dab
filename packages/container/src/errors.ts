/** Typed errors of @bplab/container. */
import { CodedError } from "@bplab/node-kit";

export type ContainerErrorCode =
  | "CONTAINER_ENGINE_UNAVAILABLE"
  | "CONTAINER_BASE_FAILED"
  | "CONTAINER_CONTEXT_FAILED"
  | "CONTAINER_BUILD_FAILED";

/** Something the lab image needs is missing or failed; `fix` is the command that helps, if any. */
export class ContainerError extends CodedError<ContainerErrorCode> {
  constructor(
    code: ContainerErrorCode,
    message: string,
    /** A shell command (or short instruction) that fixes it. */
    readonly fix?: string,
    options?: ErrorOptions,
  ) {
    super(code, fix ? `${message} (fix: ${fix})` : message, options);
  }
}

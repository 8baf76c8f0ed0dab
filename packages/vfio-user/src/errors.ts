import { CodedError } from "@bplab/node-kit";

/**
 * A message the server refuses. `errno` goes back in an error reply; the message is for logs and
 * never reaches the client (error replies carry only the errno, so nothing secret leaks).
 */
export class VfioUserProtocolError extends CodedError<"VFIO_USER_BAD_MESSAGE" | "VFIO_USER_DESYNC"> {
  readonly errno: number;

  constructor(code: "VFIO_USER_BAD_MESSAGE" | "VFIO_USER_DESYNC", errno: number, message: string) {
    super(code, message);
    this.errno = errno;
  }
}

/** A refused message the stream survives: answer with `errno` and go on. */
export function badMessage(errno: number, message: string): VfioUserProtocolError {
  return new VfioUserProtocolError("VFIO_USER_BAD_MESSAGE", errno, message);
}

/** The stream cannot be trusted any more (a header that lies about its size): disconnect. */
export function desync(errno: number, message: string): VfioUserProtocolError {
  return new VfioUserProtocolError("VFIO_USER_DESYNC", errno, message);
}

/** The server cannot start or the client's DMA request failed. */
export class VfioUserServerError extends CodedError<
  "VFIO_USER_LISTEN_FAILED" | "VFIO_USER_CLIENT_GONE" | "VFIO_USER_DMA_FAILED" | "VFIO_USER_CLOSED"
> {}

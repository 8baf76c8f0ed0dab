import { describe, expect, it } from "vitest";
import { CodedError, CommandFailedError, PidLockBusyError } from "../src/index.js";

type WidgetErrorCode = "WIDGET_BROKEN" | "WIDGET_MISSING";
class WidgetError extends CodedError<WidgetErrorCode> {}
class WidgetMissingError extends WidgetError {
  constructor(readonly widget: string) {
    super("WIDGET_MISSING", `${widget}: no such widget`);
  }
}

describe("CodedError", () => {
  it("carries the code and message, and is named after the class that was thrown", () => {
    const error = new WidgetMissingError("w1");
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(CodedError);
    expect(error).toBeInstanceOf(WidgetError);
    expect(error.code).toBe("WIDGET_MISSING");
    expect(error.message).toBe("w1: no such widget");
    expect(error.name).toBe("WidgetMissingError");
    expect(String(error)).toBe("WidgetMissingError: w1: no such widget");
    expect(new WidgetError("WIDGET_BROKEN", "broken").name).toBe("WidgetError");
  });

  it("keeps the cause it was given", () => {
    const cause = new Error("ENOSPC");
    expect(new WidgetError("WIDGET_BROKEN", "write failed", { cause }).cause).toBe(cause);
  });

  it("is the base of node-kit's own errors, which keep their codes and names", () => {
    const failed = new CommandFailedError("false", 1, "", "QEMU_COMMAND_FAILED");
    expect(failed).toBeInstanceOf(CodedError);
    expect(failed.code).toBe("QEMU_COMMAND_FAILED");
    expect(failed.name).toBe("CommandFailedError");
    expect(new CommandFailedError("false", 1, "").code).toBe("COMMAND_FAILED");
    const busy = new PidLockBusyError("/tmp/x.lock", 1);
    expect(busy).toBeInstanceOf(CodedError);
    expect(busy.code).toBe("PID_LOCK_BUSY");
    expect(busy.name).toBe("PidLockBusyError");
  });
});

import { describe, expect, it } from "vitest";
import { acceptCommandFailuresAs, CodedError, CommandFailedError, PidLockBusyError } from "../src/index.js";

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

describe("acceptCommandFailuresAs", () => {
  type GadgetErrorCode = "GADGET_COMMAND_FAILED" | "GADGET_BROKEN";
  class GadgetError extends CodedError<GadgetErrorCode> {}
  class GadgetBrokenError extends GadgetError {
    constructor() {
      super("GADGET_BROKEN", "broken");
    }
  }
  acceptCommandFailuresAs(GadgetError, "GADGET_COMMAND_FAILED");

  it("makes the base accept a CommandFailedError carrying its code, and no other code", () => {
    expect(new CommandFailedError("false", 1, "", "GADGET_COMMAND_FAILED")).toBeInstanceOf(GadgetError);
    expect(new CommandFailedError("false", 1, "")).not.toBeInstanceOf(GadgetError);
    expect(new CommandFailedError("false", 1, "", "QEMU_COMMAND_FAILED")).not.toBeInstanceOf(GadgetError);
    expect(new Error("GADGET_COMMAND_FAILED")).not.toBeInstanceOf(GadgetError);
  });

  it("keeps plain instanceof for the base's own errors and for its subclasses", () => {
    expect(new GadgetBrokenError()).toBeInstanceOf(GadgetError);
    expect(new GadgetBrokenError()).toBeInstanceOf(GadgetBrokenError);
    expect(new CommandFailedError("false", 1, "", "GADGET_COMMAND_FAILED")).not.toBeInstanceOf(
      GadgetBrokenError,
    );
    expect(new WidgetError("WIDGET_BROKEN", "x")).not.toBeInstanceOf(GadgetError);
  });
});

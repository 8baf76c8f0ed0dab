import { describe, expect, it } from "vitest";
import { parseCliArgs } from "../src/cli-args.js";
import { BadOptionError } from "../src/errors.js";

describe("parseCliArgs", () => {
  it("reads a command and its options", () => {
    expect(
      parseCliArgs(["check", "--json", "--jobs", "4", "--gates", "checkpatch,qtests", "--cache-dir", "/c"]),
    ).toEqual({
      command: "check",
      json: true,
      force: false,
      installDependencies: true,
      unpatched: false,
      jobs: 4,
      gates: ["checkpatch", "qtests"],
      cacheDir: "/c",
    });
    expect(parseCliArgs(["build", "--force", "--no-install", "--source", "/q.tar.xz"])).toMatchObject({
      command: "build",
      force: true,
      installDependencies: false,
      source: "/q.tar.xz",
    });
  });

  it("reads --unpatched for build and path", () => {
    expect(parseCliArgs(["build", "--unpatched"])).toMatchObject({ command: "build", unpatched: true });
    expect(parseCliArgs(["path", "--unpatched"])).toMatchObject({ command: "path", unpatched: true });
  });

  it("shows help without a command", () => {
    expect(parseCliArgs([]).command).toBe("help");
    expect(parseCliArgs(["--help"]).command).toBe("help");
  });

  it.each([
    [["frobnicate"], "command: must be one of fetch, apply, build, test, check, path"],
    [["build", "--jobs", "0"], "--jobs: must be a whole number of at least 1"],
    [["build", "--jobs"], "--jobs: needs a value"],
    [["check", "--gates", "lint"], "--gates: must be a comma-separated subset"],
    [["build", "--gates", "qtests"], "--gates: only applies to check"],
    [["path", "--verbose"], "--verbose: is not an option of bplab-qemu"],
    [["test", "--unpatched"], "--unpatched: only applies to build and path"],
    [["check", "--unpatched"], "--unpatched: only applies to build and path"],
  ])("rejects %j with a message naming the field", (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(BadOptionError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});

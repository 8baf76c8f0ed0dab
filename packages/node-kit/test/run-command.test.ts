import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CommandFailedError, formatCommand, runChecked, runCommand, TAIL_LINES } from "../src/index.js";

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe("runCommand", () => {
  it("streams every line of both streams, captures them and appends them to a log file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bplab-node-kit-"));
    made.push(dir);
    const logFile = join(dir, "run.log");
    const lines: string[] = [];
    const result = await runCommand("sh", ["-c", "printf 'one\\ntwo\\r\\nthree\\rfour'; echo err >&2"], {
      onLine: (line) => lines.push(line),
      logFile,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("one\ntwo\r\nthree\rfour");
    expect(result.stderr).toBe("err\n");
    expect(lines.filter((line) => line !== "err")).toEqual(["one", "two", "three", "four"]);
    expect(lines).toContain("err");
    expect(readFileSync(logFile, "utf8").split("\n").sort()).toEqual([
      "",
      "err",
      "four",
      "one",
      "three",
      "two",
    ]);
  });

  it("keeps only the last lines in tail, and stdout only when asked", async () => {
    const result = await runCommand("sh", ["-c", "seq 1 100"], { captureStdout: false });
    expect(result.stdout).toBe("");
    expect(result.tail.split("\n")).toHaveLength(TAIL_LINES);
    expect(result.tail.endsWith("\n100")).toBe(true);
  });

  it("resolves with no exit code and the reason when the command cannot start", async () => {
    const result = await runCommand("/nonexistent/command", ["a b"]);
    expect(result.exitCode).toBeNull();
    expect(result.tail).toContain("/nonexistent/command 'a b': spawn /nonexistent/command ENOENT");
  });
});

describe("runChecked", () => {
  it("throws one CommandFailedError with the caller's code, the command and the output tail", async () => {
    const failing = runChecked(runCommand, "sh", ["-c", "echo broken >&2; exit 3"], {
      failureCode: "LAB_COMMAND_FAILED",
    });
    await expect(failing).rejects.toBeInstanceOf(CommandFailedError);
    await expect(failing).rejects.toMatchObject({
      code: "LAB_COMMAND_FAILED",
      exitCode: 3,
      command: "sh -c 'echo broken >&2; exit 3'",
      outputTail: "broken",
    });
    await expect(runChecked(runCommand, "false", [])).rejects.toMatchObject({ code: "COMMAND_FAILED" });
    await expect(runChecked(runCommand, "/nonexistent/command", [])).rejects.toThrow(
      /exit signal.*\n.*ENOENT/,
    );
  });

  it("accepts the exit codes the caller names", async () => {
    expect((await runChecked(runCommand, "sh", ["-c", "exit 1"], { okExitCodes: [0, 1] })).exitCode).toBe(1);
  });

  it("quotes commands so they paste into a shell", () => {
    expect(formatCommand("git", ["commit", "-m", "it's"])).toBe(`git commit -m 'it'\\''s'`);
  });
});

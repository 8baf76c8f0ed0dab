import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LabBadOptionError } from "../src/errors.js";
import { GUEST_LIBRARY, SCRIPT_CMDLINE_PARAMETER } from "../src/guest-init.js";
import {
  GuestScript,
  guestFilePath,
  MAX_CMDLINE_SCRIPT_BYTES,
  overlayArchive,
  scriptCmdlineArgument,
  shellQuote,
} from "../src/guest-script.js";
import { commandOutcome, parseSerialOutput, requireBlob, requireResult } from "../src/serial-protocol.js";
import { busyboxPath } from "./helpers/host-tools.js";
import { scratchDirs } from "./helpers/scratch.js";

describe("shellQuote", () => {
  it("makes one shell word of any text, as sh reads it back", () => {
    for (const text of ["plain", "it's", "a b\tc", '$HOME `x` \\ "q"', "'", ""]) {
      const echoed = spawnSync("sh", ["-c", `printf %s ${shellQuote(text)}`], { encoding: "utf8" });
      expect(echoed.stdout).toBe(text);
    }
  });
});

describe("GuestScript", () => {
  it("writes one helper call per step and keeps files apart", () => {
    const script = new GuestScript();
    const path = script.file("bp1.bin", new Uint8Array([1, 2]));
    script
      .run("dl", `nvme fw-download /dev/nvme0 --fw=${path}`)
      .sha256("bp1.sha", path)
      .result("up", "cat /proc/uptime");
    expect(path).toBe("/lab/files/bp1.bin");
    expect(script.text).toBe(
      [
        "bplab_run dl sh -c 'nvme fw-download /dev/nvme0 --fw=/lab/files/bp1.bin'",
        "bplab_sha256 bp1.sha '/lab/files/bp1.bin'",
        'bplab_result up "$(cat /proc/uptime)"',
        "",
      ].join("\n"),
    );
    expect(script.files).toEqual([{ name: "bp1.bin", data: new Uint8Array([1, 2]) }]);
  });

  it("rejects names the serial protocol cannot carry, and duplicate files", () => {
    expect(() => new GuestScript().run("two words", "true")).toThrow(LabBadOptionError);
    expect(() => new GuestScript().sha256("x=y", "/f")).toThrow(/result name/);
    const script = new GuestScript();
    script.file("a", new Uint8Array(1));
    expect(() => script.file("a", new Uint8Array(1))).toThrow(/must be unique/);
    expect(() => guestFilePath("../etc/passwd")).toThrow(LabBadOptionError);
  });

  describe("with the guest helpers, run by the host's sh", () => {
    const scratch = scratchDirs("bplab-lab-script-");

    it("reports results, outputs and hashes the parser reads back exactly", async () => {
      const dir = await scratch();
      const data = new Uint8Array(10_000).map((_, i) => (i * 31) % 256);
      await writeFile(join(dir, "data.bin"), data);
      await writeFile(join(dir, "lib.sh"), GUEST_LIBRARY);
      const script = new GuestScript()
        .run("ok", "printf 'line1\\nline2'; echo oops >&2")
        .run("fails", "exit 3")
        .blob("data", join(dir, "data.bin"))
        .sha256("data.sha", join(dir, "data.bin"))
        .result("answer", "echo 42");
      await writeFile(join(dir, "run.sh"), script.text);
      const shell = spawnSync("sh", ["-c", `. ${dir}/lib.sh; . ${dir}/run.sh`], { encoding: "latin1" });
      const report = parseSerialOutput(shell.stdout);
      expect(commandOutcome(report, "ok")).toEqual({ exit: 0, stdout: "line1\nline2", stderr: "oops\n" });
      expect(commandOutcome(report, "fails").exit).toBe(3);
      expect(requireBlob(report, "data")).toEqual(data);
      expect(requireResult(report, "data.sha")).toMatch(/^[0-9a-f]{64}$/);
      expect(requireResult(report, "answer")).toBe("42");
    });
  });
});

describe("delivery", () => {
  it("puts the script and files into an uncompressed overlay archive", () => {
    const archive = overlayArchive("echo hi\n", [{ name: "x/y.bin", data: new Uint8Array([9]) }]);
    expect(new TextDecoder("latin1").decode(archive.subarray(0, 6))).toBe("070701");
    if (busyboxPath) {
      const listed = spawnSync(busyboxPath, ["cpio", "-t"], { input: archive, encoding: "latin1" });
      expect(listed.stdout.split("\n").filter(Boolean)).toEqual([
        "lab",
        "lab/run.sh",
        "lab/files",
        "lab/files/x",
        "lab/files/x/y.bin",
      ]);
    }
  });

  it("encodes a short script for the kernel command line and refuses a long one", () => {
    const argument = scriptCmdlineArgument("bplab_result a 1\n");
    expect(argument.startsWith(`${SCRIPT_CMDLINE_PARAMETER}=`)).toBe(true);
    expect(Buffer.from(argument.slice(SCRIPT_CMDLINE_PARAMETER.length + 1), "base64").toString()).toBe(
      "bplab_result a 1\n",
    );
    expect(() => scriptCmdlineArgument("x".repeat(MAX_CMDLINE_SCRIPT_BYTES))).toThrow(
      /deliver it in the initramfs/,
    );
  });
});

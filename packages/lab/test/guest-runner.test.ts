import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GuestAbortedError,
  GuestIncompleteError,
  GuestProtocolError,
  GuestTimeoutError,
  LabBadOptionError,
} from "../src/errors.js";
import { composeInitrd, type GuestRunOptions, guestQemuArgs, runGuest } from "../src/guest-runner.js";
import { GuestScript, overlayArchive } from "../src/guest-script.js";
import { requireResult } from "../src/serial-protocol.js";
import { isRunning } from "./helpers/processes.js";

// A stand-in for qemu-system-x86_64: a shell script that prints what a guest would and behaves
// as a test needs (finish, hang with a child, crash). The runner cannot tell the difference.
let dir: string;
let base: GuestRunOptions;
const BASE_INITRAMFS = new Uint8Array(1001).fill(0x1f);

async function fakeQemu(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bplab-lab-runner-"));
  await writeFile(join(dir, "initramfs.cpio.gz"), BASE_INITRAMFS);
  base = {
    image: { kernel: join(dir, "vmlinuz"), initramfs: join(dir, "initramfs.cpio.gz") },
    script: new GuestScript().result("x", "echo 1"),
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("composeInitrd and the QEMU command line", () => {
  it("pads the compressed base to 4 bytes so the kernel finds the overlay's cpio magic", () => {
    const overlay = overlayArchive("true\n", []);
    const initrd = composeInitrd(BASE_INITRAMFS, overlay);
    expect(initrd.length).toBe(1004 + overlay.length);
    expect([...initrd.subarray(1001, 1004)]).toEqual([0, 0, 0]);
    expect(new TextDecoder().decode(initrd.subarray(1004, 1010))).toBe("070701");
  });

  it("boots q35 under TCG without default devices, never rebooting, with the bootpart drive", () => {
    const args = guestQemuArgs({
      kernel: "k",
      initrd: "i",
      append: "a",
      bootpartPath: "/bp.img",
      memory: "512M",
    });
    const joined = args.join(" ");
    for (const part of [
      "-machine q35",
      "-accel tcg",
      "-cpu max",
      "-nodefaults",
      "-no-reboot",
      "-serial stdio",
    ]) {
      expect(joined).toContain(part);
    }
    expect(joined).toContain("-drive file=/bp.img,if=none,format=raw,id=bp0");
    expect(joined).toContain("-device nvme,id=nvme0,serial=bplab-lab,bootpart=bp0");
    expect(
      guestQemuArgs({ kernel: "k", initrd: "i", append: "a", bootpartPath: undefined, memory: "1G" }).join(
        " ",
      ),
    ).not.toContain("bootpart");
  });
});

describe("runGuest with a stand-in QEMU", () => {
  it("returns the parsed report, the QEMU arguments and the timings of a finished guest", async () => {
    const qemuBinary = await fakeQemu(
      "finish",
      [
        'while [ $# -gt 0 ]; do [ "$1" = -initrd ] && initrd=$2; [ "$1" = -append ] && append=$2; shift; done',
        'echo "BPLAB-RESULT initrd.bytes=$(wc -c < "$initrd")"',
        'echo "BPLAB-RESULT append=$append"',
        "echo 'BPLAB-RESULT boot.ready_s=1.00'",
        "echo 'BPLAB-DONE status=0'",
      ].join("\n"),
    );
    const lines: string[] = [];
    const run = await runGuest({ ...base, qemuBinary, onSerialLine: (line) => lines.push(line) });
    expect(run.report.doneStatus).toBe(0);
    const overlayBytes = overlayArchive((base.script as GuestScript).text, []).length;
    expect(Number(requireResult(run.report, "initrd.bytes"))).toBe(1004 + overlayBytes);
    // no_timer_check: a loaded TCG host once made the guest's early timer check panic.
    expect(requireResult(run.report, "append")).toBe("console=ttyS0 panic=-1 quiet no_timer_check");
    expect(run.timing.readyMs).toBeGreaterThanOrEqual(0);
    expect(run.timing.doneMs).toBeGreaterThanOrEqual(run.timing.readyMs ?? 0);
    expect(lines).toContain("BPLAB-DONE status=0");
    expect(isRunning(run.pid)).toBe(false);
  });

  it("passes the script on the kernel command line when asked", async () => {
    const qemuBinary = await fakeQemu(
      "cmdline",
      [
        'while [ $# -gt 0 ]; do [ "$1" = -append ] && append=$2; shift; done',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
        'for arg in $append; do case "$arg" in bplab.script=*) echo "${arg#bplab.script=}" | base64 -d > "$0.sh";; esac; done',
        'bplab_result() { echo "BPLAB-RESULT $1=$2"; }',
        '. "$0.sh"',
        "echo 'BPLAB-DONE status=0'",
      ].join("\n"),
    );
    const run = await runGuest({ ...base, qemuBinary, scriptDelivery: "cmdline" });
    expect(requireResult(run.report, "x")).toBe("1");
  });

  it("kills the whole process group when the caller aborts, child processes included", async () => {
    const qemuBinary = await fakeQemu(
      "hang",
      'sleep 1000 &\necho "BPLAB-RESULT child=$!"\necho "BPLAB-RESULT self=$$"\nwait',
    );
    const controller = new AbortController();
    const pids: number[] = [];
    const run = runGuest({
      ...base,
      qemuBinary,
      signal: controller.signal,
      onSerialLine: (line) => {
        const pid = /=(\d+)$/.exec(line)?.[1];
        if (pid) pids.push(Number(pid));
        if (pids.length === 2) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(GuestAbortedError);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
  });

  it("kills a guest that never finishes once the time is up, with the serial tail in the error", async () => {
    const qemuBinary = await fakeQemu("stuck", "echo 'BPLAB-RESULT boot.init_s=0.5'\nexec sleep 1000");
    const error = await runGuest({ ...base, qemuBinary, timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GuestTimeoutError);
    expect((error as GuestTimeoutError).serialTail).toContain("boot.init_s=0.5");
  });

  it("reports a QEMU that exits before the end line, with its exit code and stderr", async () => {
    const qemuBinary = await fakeQemu(
      "crash",
      "echo 'BPLAB-RESULT a=1'\necho 'qemu: bootpart: drive size' >&2\nexit 3",
    );
    const error = await runGuest({ ...base, qemuBinary }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GuestIncompleteError);
    expect(error).toMatchObject({ exitCode: 3 });
    expect((error as GuestIncompleteError).stderrTail).toContain("bootpart: drive size");
  });

  it("stops the guest on a protocol error instead of trusting later lines", async () => {
    const qemuBinary = await fakeQemu(
      "garbled",
      'echo "BPLAB-RESULT self=$$"\necho "BPLAB-BLOB-END x bytes=5"\nexec sleep 1000',
    );
    let pid = 0;
    const error = await runGuest({
      ...base,
      qemuBinary,
      onSerialLine: (line) => {
        pid = Number(/self=(\d+)/.exec(line)?.[1] ?? pid);
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GuestProtocolError);
    expect(isRunning(pid)).toBe(false);
  });

  it("checks its options before starting anything", async () => {
    await expect(runGuest({ ...base, timeoutMs: 0 })).rejects.toThrow(LabBadOptionError);
    await expect(runGuest({ ...base, files: [] })).rejects.toThrow(/files: only for a string script/);
    await expect(runGuest({ ...base, scriptDelivery: "floppy" as "initrd" })).rejects.toThrow(
      /scriptDelivery/,
    );
  });
});

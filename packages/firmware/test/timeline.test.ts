import { describe, expect, it } from "vitest";
import { bootTiming, type FirmwareBoot } from "../src/boot-lab.js";
import { SerialEventParser } from "../src/serial-events.js";
import { formatTimeline, timelineEntries } from "../src/timeline.js";

function bootFrom(lines: Array<[number, string]>): FirmwareBoot {
  const parser = new SerialEventParser();
  for (const [tMs, line] of lines) parser.push(line, tMs);
  return {
    events: parser.events,
    appStatus: 0n,
    guest: parser.guest.report(),
    serial: "",
    argv: [],
    target: "qemu",
    timing: bootTiming(parser.events, 9000),
    exitCode: 0,
    keptDir: undefined,
  };
}

const blob = (name: string, text: string) => [
  `BPLAB-BLOB ${name} ${Buffer.from(text).toString("base64")}`,
  `BPLAB-BLOB-END ${name} bytes=${text.length}`,
];

describe("the timeline", () => {
  const boot = bootFrom([
    [1000, "BdsDxe: loading Boot0002"],
    [2000, "BPFW start mode=update bpid=1 image=\\bplab\\bp-new.bin lock=upc activate=0"],
    [2100, "BPFW cmd n=1 opc=0x0A cdw10=0x00000085 cdw11=0x00000000 cdw12=0x00000000 cdw13=0x00000000 len=0"],
    [2200, "BPFW set-lock bpid=1 state=3 get=0x0B set=0x1B efi=0x0"],
    [2300, "BPFW lock mode=upc"],
    [2400, "BPFW done status=0x0"],
    [2500, "BPFW-SHELL boot-kernel"],
    [5000, "[    0.000000] Linux version 6.1.0"],
    [5100, "[    0.100000] later kernel noise"],
    ...blob("unlock.stdout", "").map((line): [number, string] => [7000, line]),
    ...blob("unlock.stderr", "NVMe status: Feature Not Changeable: ...(0x410e)\n").map(
      (l): [number, string] => [7000, l],
    ),
    [7000, "BPLAB-RESULT unlock.exit=1"],
    [8000, "BPLAB-DONE status=0"],
  ]);

  it("orders firmware steps, the handover and the first kernel line; drops command lines and later kernel noise", () => {
    expect(timelineEntries(boot).map((e) => [e.t, e.source, e.text])).toEqual([
      [1, "ovmf", "OVMF boot manager"],
      [2, "firmware", "app start: update BP1, lock=upc"],
      [2.2, "firmware", "Get 85h = 0x0B, Set 85h = 0x1B (BP1 -> Write Locked Until Power Cycle)"],
      [2.3, "firmware", "locked (upc)"],
      [2.4, "firmware", "app done: status 0x0"],
      [2.5, "shell", "startup.nsh starts the Linux EFI stub"],
      [5, "kernel", "[    0.000000] Linux version 6.1.0"],
    ]);
  });

  it("summarises what Linux tried with nvme-cli's status line, and the four measured points", () => {
    const text = formatTimeline(boot);
    expect(text).toMatch(/unlock\s+FAILED NVMe status: Feature Not Changeable/);
    expect(text).toMatch(/lock applied 2\.3 s -> first kernel line 5\.0 s -> guest done 8\.0 s/);
  });
});

import { describe, expect, it } from "vitest";
import { crc32 } from "../src/crc32.js";
import { downstreamBlockBytes, downstreamUpdateSequence } from "../src/downstream.js";
import { FirmwareBadOptionError } from "../src/errors.js";
import { startupScript } from "../src/esp.js";

describe("startup.nsh", () => {
  it("runs the app, powers off on its error, then boots the kernel with its initrd", () => {
    const script = startupScript({
      appArgs: ["update", "--lock", "upc"],
      linux: { kernel: "k", initrd: "i", cmdline: ["console=ttyS0", "quiet"] },
    });
    expect(script.split("\r\n")).toEqual([
      "@echo -off",
      "fs0:",
      "\\bplab\\bpfw.efi update --lock upc",
      "echo BPFW-SHELL app-exit status=%lasterror%",
      "if %lasterror% ne 0 then",
      "  echo BPFW-SHELL poweroff",
      "  reset -s",
      "endif",
      "echo BPFW-SHELL boot-kernel",
      "\\bplab\\vmlinuz initrd=\\bplab\\initrd.img console=ttyS0 quiet",
      "echo BPFW-SHELL poweroff",
      "reset -s",
      "",
    ]);
  });

  it("refuses arguments the shell would split or interpret", () => {
    expect(() => startupScript({ appArgs: ["update; reset"] })).toThrow(FirmwareBadOptionError);
    expect(() => startupScript({ appArgs: ["%lasterror%"] })).toThrow(FirmwareBadOptionError);
  });
});

describe("the downstream library model", () => {
  it("FWUG 0h and FFh mean 4 KiB blocks, others FWUG x 4 KiB", () => {
    expect([0, 1, 2, 0xff].map(downstreamBlockBytes)).toEqual([4096, 4096, 8192, 4096]);
  });

  it("unlock re-sends the other BP's Get value, then every block, commit 110b, lock A, lock B", () => {
    const sequence = downstreamUpdateSequence({ bpsz: 1, fwug: 8, bpid: 1, powerOnState: 0x12, lock: true });
    expect(sequence.map((c) => [c.opcode, c.cdw10, c.cdw11, c.cdw12])).toEqual([
      [0x0a, 0x85, 0, 0],
      [0x09, 0x85, 0x0a, 0],
      [0x11, 0x1fff, 0, 1],
      [0x11, 0x1fff, 0x2000, 1],
      [0x11, 0x1fff, 0x4000, 1],
      [0x11, 0x1fff, 0x6000, 1],
      [0x10, 0x80000030, 0, 0],
      [0x0a, 0x85, 0, 0],
      [0x09, 0x85, 0x0b, 0],
      [0x0a, 0x85, 0, 0],
      [0x09, 0x85, 0x1b, 0],
    ]);
    expect(sequence.filter((c) => c.dw0 !== undefined).map((c) => c.dw0)).toEqual([0x12, 0x0a, 0x0b]);
  });
});

describe("crc32", () => {
  it("is the IEEE CRC-32 UEFI's CalculateCrc32 computes", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CpioBuilder, encodeCpio } from "../src/cpio.js";
import { LabBadOptionError } from "../src/errors.js";
import { busyboxPath } from "./helpers/host-tools.js";

const text = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);

describe("encodeCpio (newc)", () => {
  it("writes a one-file archive byte for byte: header, name, padding, data, trailer", () => {
    const archive = encodeCpio([{ kind: "file", path: "a", data: new TextEncoder().encode("hi") }]);
    const fileHeader =
      "070701" +
      ["00000001", "000081a4", "00000000", "00000000", "00000001", "00000000", "00000002"].join("") +
      ["00000000", "00000000", "00000000", "00000000", "00000002", "00000000"].join("");
    const trailerHeader =
      "070701" +
      ["00000000", "00000000", "00000000", "00000000", "00000001", "00000000", "00000000"].join("") +
      ["00000000", "00000000", "00000000", "00000000", "0000000b", "00000000"].join("");
    // 110-byte header + "a\0" = 112 (aligned); "hi" + 2 pad; 110 + "TRAILER!!!\0" = 121 + 3 pad.
    const expected = `${fileHeader}a\0hi\0\0${trailerHeader}TRAILER!!!\0\0\0\0`;
    expect(text(archive)).toBe(expected);
    expect(archive.length % 4).toBe(0);
  });

  it("encodes directories with nlink 2 and symlinks with their target as data", () => {
    const archive = text(
      encodeCpio([
        { kind: "directory", path: "/bin/" },
        { kind: "symlink", path: "bin/sh", target: "busybox" },
      ]),
    );
    expect(archive.slice(6 + 8, 6 + 16)).toBe("000041ed"); // 040755
    expect(archive.slice(6 + 32, 6 + 40)).toBe("00000002");
    const link = archive.indexOf("070701", 1);
    expect(archive.slice(link + 14, link + 22)).toBe("0000a1ff"); // 0120777
    expect(archive.slice(link + 54, link + 62)).toBe("00000007"); // "busybox"
    // 110 + "bin/sh\\0" = 117 bytes, so 3 bytes of padding before the target.
    expect(archive).toContain("bin/sh\0\0\0\0busybox");
  });

  it("rejects paths with '..', '.' or nothing, and bad modes, naming the field", () => {
    for (const path of ["", "/", "a/../b", "./a", "a//b"]) {
      expect(() => encodeCpio([{ kind: "directory", path }])).toThrow(LabBadOptionError);
    }
    expect(() => encodeCpio([{ kind: "file", path: "x", data: new Uint8Array(), mode: 0o10000 }])).toThrow(
      /cpio entry x: mode/,
    );
    expect(() => encodeCpio([{ kind: "symlink", path: "x", target: "" }])).toThrow(/target/);
  });
});

describe("CpioBuilder", () => {
  it("adds each missing parent directory once, before its first child", () => {
    const builder = new CpioBuilder()
      .file("usr/sbin/nvme", new Uint8Array(1))
      .file("usr/lib/x", new Uint8Array(1))
      .symlink("bin/sh", "busybox");
    expect(builder.list().map((entry) => `${entry.kind}:${entry.path}`)).toEqual([
      "directory:usr",
      "directory:usr/sbin",
      "file:usr/sbin/nvme",
      "directory:usr/lib",
      "file:usr/lib/x",
      "directory:bin",
      "symlink:bin/sh",
    ]);
    expect(builder.has("/usr/lib/")).toBe(true);
  });

  it("refuses the same path twice", () => {
    const builder = new CpioBuilder().file("a", new Uint8Array(1));
    expect(() => builder.file("/a", new Uint8Array(1))).toThrow(/must be unique/);
  });

  it.skipIf(!busyboxPath)("produces an archive busybox cpio lists and extracts", () => {
    const data = new Uint8Array(5000).map((_, i) => i % 251);
    const archive = new CpioBuilder().file("lab/files/data.bin", data).symlink("bin/sh", "busybox").encode();
    const listed = spawnSync(busyboxPath as string, ["cpio", "-t"], { input: archive, encoding: "latin1" });
    expect(listed.stdout.split("\n").filter(Boolean)).toEqual([
      "lab",
      "lab/files",
      "lab/files/data.bin",
      "bin",
      "bin/sh",
    ]);
    const extracted = spawnSync(busyboxPath as string, ["cpio", "-i", "--to-stdout", "lab/files/data.bin"], {
      input: archive,
    });
    expect(new Uint8Array(extracted.stdout)).toEqual(data);
  });
});

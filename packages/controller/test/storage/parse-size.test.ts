import { describe, expect, it } from "vitest";
import { formatSize, parseSize } from "../../src/sizes.js";

describe("parseSize", () => {
  it.each([
    ["4096", 4096],
    ["128K", 128 * 1024],
    ["128k", 128 * 1024],
    ["64KiB", 64 * 1024],
    ["1G", 1024 ** 3],
    ["1gb", 1024 ** 3],
    ["1.5M", 1.5 * 1024 ** 2],
    [" 2 M ", 2 * 1024 ** 2],
    ["0", 0],
  ])("parses %j as %d bytes", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(["", "abc", "-1", "1X", "1.1", "0x10", "1e3", "K"])("rejects %j naming the option", (text) => {
    expect(() => parseSize(text, "--bpsz")).toThrow(
      expect.objectContaining({ code: "STORAGE_INVALID_SIZE", field: "--bpsz" }),
    );
    expect(() => parseSize(text, "--bpsz")).toThrow(/--bpsz must be/);
  });

  it("accepts numbers that are whole bytes and rejects the rest", () => {
    expect(parseSize(8192)).toBe(8192);
    expect(() => parseSize(0.5)).toThrow(/whole number of bytes/);
  });

  it("formats sizes with the largest exact binary unit", () => {
    expect(formatSize(1024 ** 3)).toBe("1 GiB");
    expect(formatSize(128 * 1024)).toBe("128 KiB");
    expect(formatSize(3 * 1024 ** 2)).toBe("3 MiB");
    expect(formatSize(4097)).toBe("4097 B");
  });
});

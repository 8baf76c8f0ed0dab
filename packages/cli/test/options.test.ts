import { describe, expect, it } from "vitest";
import { CliUsageError } from "../src/errors.js";
import { bpidOption, bpSizeOption, choiceOption, lockStateOption, sizeOption } from "../src/options.js";

describe("option parsers", () => {
  it("parse sizes with binary units", () => {
    expect(sizeOption("--length")("4096")).toBe(4096);
    expect(sizeOption("--length")("128K")).toBe(131072);
    expect(bpSizeOption("--bpsz")("1G")).toBe(1024 ** 3);
  });

  it.each([
    [() => sizeOption("--length")("12Q"), "--length", /must be a size like 4096, 128K/],
    [() => bpSizeOption("--bpsz")("100K"), "--bpsz", /positive multiple of 128K/],
    [() => bpSizeOption("--bpsz")("0"), "--bpsz", /positive multiple of 128K/],
    [() => bpidOption()("2"), "--bp", /must be 0 or 1/],
    [() => lockStateOption()("open"), "--set", /unlocked, locked, until-power-cycle/],
    [() => choiceOption("--via", ["log", "bprsel"])("dma"), "--via", /one of log, bprsel, got "dma"/],
  ])("reject bad values naming the option and the rule (%#)", (parse, option, rule) => {
    expect(parse).toThrow(CliUsageError);
    expect(parse).toThrow(expect.objectContaining({ option }));
    expect(parse).toThrow(rule);
  });

  it("map lock state names to BPxWPS values", () => {
    expect(lockStateOption()("unlocked")).toBe(0b001);
    expect(lockStateOption()("LOCKED")).toBe(0b010);
    expect(lockStateOption()("until-power-cycle")).toBe(0b011);
  });
});

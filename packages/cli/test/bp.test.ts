import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bplab, tempDir } from "./cli-support.js";

const scratch = tempDir();
afterAll(() => scratch.remove());
const state = join(scratch.path, "state");
const image = randomBytes(300_000);
const imagePath = join(scratch.path, "image.bin");

beforeAll(() => writeFileSync(imagePath, image));

// The tests share one state directory in order, as a user's session of invocations would.
describe("bplab bp on a state directory", () => {
  it("init creates it", async () => {
    const run = await bplab("bp", "init", "--state", state, "--bpsz", "512K", "--namespace-size", "1M");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/two BPs of 512 KiB \(BPSZ 4\), namespace 1 MiB/);
  });

  it("write unlocks, downloads, commits and verifies", async () => {
    const run = await bplab(
      "bp",
      "write",
      "--state",
      state,
      "--bp",
      "1",
      "--file",
      imagePath,
      "--chunk",
      "4K",
      "--verify",
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Firmware Commit CA=110b BPID=1: status 0h\/00h/);
    expect(run.stdout).toMatch(/in 74 downloads of 4 KiB/);
    expect(run.stdout).toMatch(/verified: log 15h read-back matches the file/);
  });

  it.each(["log", "bprsel"])("read --via %s returns the image, zero-filled after it (MC-21)", async (via) => {
    const out = join(scratch.path, `back-${via}.bin`);
    const run = await bplab("bp", "read", "--state", state, "--bp", "1", "--out", out, "--via", via);
    expect(run.code).toBe(0);
    const back = readFileSync(out);
    expect(back.length).toBe(512 * 1024);
    expect(back.subarray(0, image.length).equals(image)).toBe(true);
    expect(back.subarray(image.length).every((b) => b === 0)).toBe(true);
  });

  it("read takes a range", async () => {
    const out = join(scratch.path, "range.bin");
    const run = await bplab(
      "bp",
      "read",
      "--state",
      state,
      "--bp",
      "1",
      "--out",
      out,
      "--offset",
      "4K",
      "--length",
      "1000",
    );
    expect(run.code).toBe(0);
    expect(readFileSync(out).equals(image.subarray(4096, 5096))).toBe(true);
  });

  it("lock lasts only for its own invocation: the next one powers on Write Locked", async () => {
    const lock = await bplab("bp", "lock", "--state", state, "--bp", "0", "--set", "until-power-cycle");
    expect(lock.code).toBe(0);
    expect(lock.stdout).toMatch(/now: BP0 011b Write Locked Until Power Cycle, BP1 010b Write Locked/);
    const status = await bplab("bp", "status", "--state", state, "--json");
    expect(JSON.parse(status.stdout).locks).toEqual({ bp0: 0b010, bp1: 0b010 });
  });

  it("activate sets ABPID, which persists", async () => {
    expect((await bplab("bp", "activate", "--state", state, "--bp", "1")).code).toBe(0);
    const status = await bplab("bp", "status", "--state", state);
    expect(status.stdout).toMatch(/BPINFO.ABPID\s+1/);
    expect(status.stdout).toMatch(/BPINFO.BPSZ\s+4 \(512 KiB per BP\)/);
  });

  it("rejects an image larger than a BP and a chunk off the FWUG grid", async () => {
    const big = join(scratch.path, "big.bin");
    writeFileSync(big, Buffer.alloc(512 * 1024 + 4));
    const tooBig = await bplab("bp", "write", "--state", state, "--bp", "0", "--file", big);
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toMatch(/--file: .*big.bin is 524292 bytes; it must hold 1 to 524288 bytes/);
    const oddChunk = await bplab(
      "bp",
      "write",
      "--state",
      state,
      "--bp",
      "0",
      "--file",
      imagePath,
      "--chunk",
      "6K",
    );
    expect(oddChunk.code).toBe(2);
    expect(oddChunk.stderr).toMatch(/--chunk: must be a positive multiple of FWUG \(4 KiB\)/);
  });

  it("reports a corrupt state directory without touching it (exit 1)", async () => {
    const corrupt = join(scratch.path, "corrupt");
    await bplab("bp", "init", "--state", corrupt, "--bpsz", "128K");
    writeFileSync(join(corrupt, "meta.json"), "{ broken");
    const run = await bplab("bp", "status", "--state", corrupt);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/meta.json: is not valid JSON/);
    expect(readFileSync(join(corrupt, "meta.json"), "utf8")).toBe("{ broken");
  });

  it("refuses to change an existing directory's geometry", async () => {
    const run = await bplab("bp", "init", "--state", state, "--bpsz", "1M");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/has bpSizeBytes=524288 but 1048576 was asked for/);
  });
});

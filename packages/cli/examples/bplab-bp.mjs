// The installed `bplab` command as a firmware engineer uses it: put an image into BP1 of a state
// directory and read it back, then run the downstream firmware's whole BP flow (`bplab demo`,
// which includes the refused commit while locked) in-process through runCli().
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryIo, runCli } from "@bplab/cli";

const dir = mkdtempSync(join(tmpdir(), "cli-example-"));
const state = join(dir, "bp");
const bplab = (...args) => spawnSync("npx", ["--no-install", "bplab", ...args], { encoding: "utf8" });
const image = new Uint8Array(64 * 1024).fill(0x42);
writeFileSync(join(dir, "image.bin"), image);
for (const args of [
  ["bp", "init", "--state", state, "--bpsz", "128K"],
  ["bp", "write", "--state", state, "--bp", "1", "--file", join(dir, "image.bin"), "--verify"],
  ["bp", "read", "--state", state, "--bp", "1", "--out", join(dir, "bp1.bin"), "--length", "64K"],
]) {
  const run = bplab(...args);
  assert.equal(run.status, 0, `bplab ${args.join(" ")}: ${run.stderr}`);
}
assert.deepEqual(new Uint8Array(readFileSync(join(dir, "bp1.bin"))), image);

const io = memoryIo();
assert.equal(await runCli(["demo"], io), 0, io.stderr());
console.log(io.stdout().trim().split("\n").slice(-3).join("\n"));
console.log("ok @bplab/cli: bp init/write/read through the bin, the demo flow through runCli()");

import {
  BASE_ADDRESS_ALIGNMENT_BYTES,
  BootReadStatus,
  BP_IDS,
  BPRSEL_UNIT_BYTES,
  type BpId,
  type BpPair,
  BpWriteProtectionState,
  bootPartitionSizeBytes,
  bpinfoCodec,
  bpWriteProtectionStateName,
  CommitAction,
  RegisterOffset,
  Status,
} from "@bplab/nvme-spec";
import { bpRegisterRead } from "../driver/bp-register-read.js";
import type { NvmeHostDriver } from "../driver/nvme-host-driver.js";
import { DEFAULT_MAX_POLLS } from "../driver/queue-driver.js";
import { formatBrs } from "../driver/transcript.js";
import { type ScenarioContext, sha256 } from "./context.js";
import { ScenarioAssertionError } from "./errors.js";

/** Multiplier of a 32-bit LCG (Numerical Recipes): deterministic test images without a dependency. */
const LCG_MULTIPLIER = 1_664_525;
const LCG_INCREMENT = 1_013_904_223;
const BYTE_SHIFT = 24;

/** Images generated so far, by length and seed; the oldest is dropped past this many. */
const TEST_IMAGE_CACHE_ENTRIES = 32;
const testImages = new Map<string, Uint8Array>();

/**
 * A deterministic pseudo-random image: different seeds give different bytes everywhere, so a
 * partly written or wrongly placed image never hashes like the expected one.
 *
 * The suite asks for the same (length, seed) in every run of a scenario and on every target, and
 * the generator loop cost more than the commands that write the image (issue 13), so each image
 * is generated once. Callers get their own copy: what one does with it cannot change another's.
 */
export function testImage(length: number, seed: number): Uint8Array {
  const key = `${length}:${seed}`;
  let image = testImages.get(key);
  if (!image) {
    image = generateTestImage(length, seed);
    if (testImages.size >= TEST_IMAGE_CACHE_ENTRIES) testImages.delete(testImages.keys().next().value!);
    testImages.set(key, image);
  }
  return image.slice();
}

function generateTestImage(length: number, seed: number): Uint8Array {
  const image = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, LCG_MULTIPLIER) + LCG_INCREMENT) >>> 0;
    image[i] = state >>> BYTE_SHIFT;
  }
  return image;
}

/** Both BPs' states through Get Features 85h (SEL=current); the Get must succeed. */
export async function readLocks(driver: NvmeHostDriver): Promise<{ bp0: number; bp1: number }> {
  const outcome = await driver.getBpWriteProtection();
  if (!outcome.ok) throw new ScenarioAssertionError("get-features-85h.status", "0h/00h", outcome.status);
  return { bp0: outcome.bp0, bp1: outcome.bp1 };
}

/** Records both lock states under `<prefix>.bp0` / `<prefix>.bp1` and checks them. */
export async function expectLocks(
  ctx: ScenarioContext,
  prefix: string,
  expected: { bp0: number; bp1: number },
  why?: string,
): Promise<void> {
  const locks = await readLocks(await ctx.driver());
  ctx.expect(
    `${prefix}.bp0`,
    bpWriteProtectionStateName(locks.bp0),
    bpWriteProtectionStateName(expected.bp0),
    why,
  );
  ctx.expect(
    `${prefix}.bp1`,
    bpWriteProtectionStateName(locks.bp1),
    bpWriteProtectionStateName(expected.bp1),
    why,
  );
}

/** Downloads `image` from offset 0 in FWUG-sized pieces; every piece must succeed. */
export async function stageImage(
  ctx: ScenarioContext,
  field: string,
  image: Uint8Array,
  options: { cdw12?: number } = {},
): Promise<void> {
  const driver = await ctx.driver();
  const download = await driver.firmwareImageDownload(
    image,
    await driver.firmwareUpdateGranularityBytes(),
    options,
  );
  ctx.expect(field, download.ok, true, download.pieces.at(-1)?.status);
}

/** CA=110b to `bpid` must fail with 1h/1Eh and leave every byte of the BP as it was. */
export async function expectCommitRefused(ctx: ScenarioContext, prefix: string, bpid: BpId): Promise<void> {
  const before = await bpHashViaLog(ctx, bpid);
  const commit = await (await ctx.driver()).firmwareCommit(CommitAction.ReplaceBootPartition, bpid);
  ctx.expectStatus(`${prefix}.commit.status`, commit, Status.BootPartitionWriteProhibited);
  ctx.expect(`${prefix}.bp${bpid}.sha256`, await bpHashViaLog(ctx, bpid), before, "bytes unchanged");
}

/** Unlocks `bpid`, downloads `image` in FWUG-sized pieces and commits it with CA=110b; all must succeed. */
export async function writeBootPartition(
  ctx: ScenarioContext,
  prefix: string,
  bpid: BpId,
  image: Uint8Array,
  options: { relock?: boolean } = {},
): Promise<void> {
  const driver = await ctx.driver();
  const unlock = await driver.setBpLock(bpid, BpWriteProtectionState.WriteUnlocked);
  ctx.expectStatus(`${prefix}.unlock.status`, unlock, Status.Success);
  await stageImage(ctx, `${prefix}.download.ok`, image);
  const commit = await driver.firmwareCommit(CommitAction.ReplaceBootPartition, bpid);
  ctx.expectStatus(`${prefix}.commit.status`, commit, Status.Success);
  if (options.relock ?? true) {
    const lock = await driver.setBpLock(bpid, BpWriteProtectionState.WriteLocked);
    ctx.expectStatus(`${prefix}.relock.status`, lock, Status.Success);
  }
}

/**
 * Gives each BP its own full-size test image (seeds `seed` and `seed + 1`) through the write flow,
 * so later reads can tell the two BPs and their offsets apart. Returns the images by BPID.
 */
export async function writeBothBps(ctx: ScenarioContext, seed: number): Promise<BpPair<Uint8Array>> {
  const size = await bpSizeBytes(ctx);
  const images: BpPair<Uint8Array> = [testImage(size, seed), testImage(size, seed + 1)];
  for (const bpid of BP_IDS) await writeBootPartition(ctx, `write.bp${bpid}`, bpid, images[bpid]);
  return images;
}

/** The image zero-filled to the BP size: what a BP holds after committing it (MC-21). */
export function asCommitted(image: Uint8Array, bpSize: number): Uint8Array {
  const bytes = new Uint8Array(bpSize);
  bytes.set(image);
  return bytes;
}

/** Commits the staged image to `bpid` with CA=110b, expecting success and exactly `image` (zero-filled) in the BP. */
export async function commitAndCheck(
  ctx: ScenarioContext,
  prefix: string,
  bpid: BpId,
  image: Uint8Array,
): Promise<void> {
  const commit = await (await ctx.driver()).firmwareCommit(CommitAction.ReplaceBootPartition, bpid);
  ctx.expectStatus(`${prefix}.commit.status`, commit, Status.Success);
  ctx.expect(
    `${prefix}.bp${bpid}.sha256`,
    await bpHashViaLog(ctx, bpid),
    sha256(asCommitted(image, await bpSizeBytes(ctx))),
  );
}

/** sha256 of a whole BP read through Get Log Page 15h; the read must succeed. */
export async function bpHashViaLog(ctx: ScenarioContext, bpid: BpId): Promise<string> {
  const driver = await ctx.driver();
  const read = await driver.bpReadViaLog(bpid, 0, await bpSizeBytes(ctx));
  if (!read.ok) throw new ScenarioAssertionError(`bp${bpid}.log-read.status`, "0h/00h", read.status);
  return sha256(read.data);
}

/** Size of each BP as BPINFO.BPSZ reports it, in bytes. */
export async function bpSizeBytes(ctx: ScenarioContext): Promise<number> {
  const { bpsz } = bpinfoCodec.decode(await ctx.target.mmioRead32(RegisterOffset.BPINFO));
  return bootPartitionSizeBytes(bpsz);
}

/**
 * Reads the first BPRSEL unit of BP0 through the registers into a fresh buffer and checks BRS=10b:
 * the step that leaves BRS, BPRSEL and BPMBL set for what a scenario checks next.
 */
export async function readFirstUnitViaRegisters(ctx: ScenarioContext, field: string): Promise<void> {
  const addr = await ctx.target.alloc(BPRSEL_UNIT_BYTES, BASE_ADDRESS_ALIGNMENT_BYTES);
  const read = await bpRegisterRead(
    ctx.target,
    { bpid: 0, bprofUnits: 0, bprszUnits: 1, bufferAddr: addr },
    DEFAULT_MAX_POLLS,
  );
  ctx.expect(field, formatBrs(read.brs), formatBrs(BootReadStatus.Success));
}

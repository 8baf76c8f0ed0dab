/**
 * The two devices qtest drives, side by side in one run: this package's server behind stock QEMU's
 * `vfio-user-pci` and the patched QEMU's native `nvme` device, both on @bplab/qtest's QemuTarget
 * (same machine, accelerator, RAM, host-memory window and BAR placement), both holding the same
 * Boot Partition bytes so every read can be checked.
 */
import { closeSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { createMemoryStore } from "@bplab/controller";
import { bootPartitionImageBytes, createQemuTarget, type QemuTarget } from "@bplab/qtest";
import { createVfioUserTarget, type VfioUserTarget } from "../src/target.js";

export const MIB = 1024 * 1024;

/** The pattern byte at BP offset `index`: not periodic in 4 KiB, so a misplaced page shows. */
const patternByte = (index: number) => (index * 13 + Math.floor(index / 4096)) & 0xff;

export function patternedBootPartition(bpSizeBytes: number): Uint8Array {
  const bytes = new Uint8Array(bpSizeBytes);
  for (let index = 0; index < bpSizeBytes; index++) bytes[index] = patternByte(index);
  return bytes;
}

/** The patched device's image: BP0 = bp0, BP1 zero, a fresh ABPID metadata block (BP 0 active). */
function writeNativeImage(path: string, bp0: Uint8Array): void {
  const fd = openSync(path, "w");
  try {
    writeSync(fd, bp0);
    ftruncateSync(fd, bootPartitionImageBytes(bp0.length));
  } finally {
    closeSync(fd);
  }
}

export interface TargetPair {
  readonly vfioUser: VfioUserTarget;
  readonly native: QemuTarget;
  close(): Promise<void>;
}

/** Starts both targets with BP0 = bp0 (workDir holds the native image). */
export async function startPair(
  binaries: { unpatched: string; patched: string },
  workDir: string,
  bp0: Uint8Array,
): Promise<TargetPair> {
  const image = join(workDir, "bootpart.img");
  writeNativeImage(image, bp0);
  const store = createMemoryStore({ bpSizeBytes: bp0.length });
  store.bootPartitions.stageWrite(0, bp0);
  store.bootPartitions.commitStaged(0);
  const vfioUser = await createVfioUserTarget({ binary: binaries.unpatched, server: { store } });
  try {
    const native = await createQemuTarget({ binary: binaries.patched, bootPartition: { image } });
    return {
      vfioUser,
      native,
      close: async () => {
        await Promise.allSettled([vfioUser.close(), native.close()]);
      },
    };
  } catch (error) {
    await vfioUser.close();
    throw error;
  }
}

export async function seconds(action: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Best of `repeats` per target, the two targets taking turns, so a burst of load on the shared
 * machine hits both sides of a ratio rather than one.
 */
export async function bestOfAlternating(
  repeats: number,
  pair: TargetPair,
  action: (target: QemuTarget) => Promise<unknown>,
): Promise<{ vfioUser: number; native: number }> {
  const best = { vfioUser: Number.POSITIVE_INFINITY, native: Number.POSITIVE_INFINITY };
  for (let run = 0; run < repeats; run++) {
    best.native = Math.min(best.native, await seconds(() => action(pair.native)));
    best.vfioUser = Math.min(best.vfioUser, await seconds(() => action(pair.vfioUser)));
  }
  return best;
}

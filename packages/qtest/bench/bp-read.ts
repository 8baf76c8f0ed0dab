/**
 * A full Boot Partition read on the QEMU target, through BPRSEL/BPMBL and through Get Log Page 15h,
 * with guest RAM through the shared file and through b64, each next to the in-process read of the
 * same BP size measured in the same run (issue 13's goal: at least 25% of it). Every QEMU read is
 * checked against the image, so a fast wrong answer cannot pass as a result.
 */
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NvmeHostDriver, type Target } from "@bplab/host";
import { createInProcessTarget } from "@bplab/in-process-target";
import { BOOT_PARTITION_COUNT } from "@bplab/nvme-spec";
import { bootPartitionImageBytes, createQemuTarget } from "../src/index.js";
import { type BenchRow, bestSeconds, MIB } from "./measure.js";

export const QEMU_READ_GOAL = 0.25;
/** Best of two for small BPs; one run of a big one already lasts long enough to be steady. */
const repeatsFor = (bpSizeBytes: number) => (bpSizeBytes >= 256 * MIB ? 1 : 2);
const PATHS = ["register path (BPRSEL/BPMBL)", "log page 15h"] as const;
type ReadPath = (typeof PATHS)[number];

async function readSpeeds(target: Target, bpSizeBytes: number, expected?: Uint8Array) {
  const speeds = new Map<ReadPath, number>();
  try {
    const driver = await NvmeHostDriver.attach(target);
    for (const path of PATHS) {
      const read = () =>
        path === PATHS[0]
          ? driver.bpReadViaRegisters(0, 0, bpSizeBytes)
          : driver.bpReadViaLog(0, 0, bpSizeBytes);
      const elapsed = await bestSeconds(repeatsFor(bpSizeBytes), async () => {
        const outcome = await read();
        if (!outcome.ok) throw new Error(`${target.name}: the ${path} read failed: ${outcome.status}`);
        if (expected && Buffer.compare(outcome.data, expected) !== 0) {
          throw new Error(`${target.name}: the ${path} read returned other bytes than the image holds`);
        }
      });
      speeds.set(path, bpSizeBytes / MIB / elapsed);
    }
  } finally {
    await target.close();
  }
  return speeds;
}

/** The pattern byte at image offset `index`: not periodic in 4 KiB, so a misplaced page shows. */
const patternByte = (index: number) => (index * 13 + Math.floor(index / 4096)) & 0xff;

/**
 * Writes a BP image (both BPs hold the pattern; the ABPID metadata block after them stays zero, a
 * fresh image) in pieces, since one write of 2 GiB or more is refused. Returns BP 0's bytes.
 */
function writeImage(path: string, bpSizeBytes: number): Uint8Array {
  const bp0 = new Uint8Array(bpSizeBytes);
  for (let index = 0; index < bpSizeBytes; index++) bp0[index] = patternByte(index);
  const fd = openSync(path, "w");
  try {
    writeSync(fd, bp0);
    const piece = new Uint8Array(Math.min(bpSizeBytes, 64 * MIB));
    for (let done = 0; done < bpSizeBytes * (BOOT_PARTITION_COUNT - 1); done += piece.length) {
      for (let index = 0; index < piece.length; index++)
        piece[index] = patternByte(bpSizeBytes + done + index);
      writeSync(fd, piece);
    }
    ftruncateSync(fd, bootPartitionImageBytes(bpSizeBytes));
  } finally {
    closeSync(fd);
  }
  return bp0;
}

export async function bpReadRows(binary: string, bpSizeBytes: number): Promise<BenchRow[]> {
  const work = mkdtempSync(join(tmpdir(), "bplab-bp-bench-"));
  try {
    const image = join(work, "bootpart.img");
    const bp0 = writeImage(image, bpSizeBytes);

    const inProcess = await readSpeeds(createInProcessTarget({ bpSizeBytes }), bpSizeBytes);
    const rows: BenchRow[] = [];
    for (const sharedRam of ["auto", "off"] as const) {
      const target = await createQemuTarget({
        binary,
        bootPartition: { image },
        sharedRam,
      });
      const guestPath = target.instance.guestRam.path;
      const speeds = await readSpeeds(target, bpSizeBytes, bp0);
      for (const path of PATHS) {
        rows.push({
          workload: `QEMU full BP read (${bpSizeBytes / MIB} MiB), ${path}, guest RAM via ${guestPath}`,
          value: speeds.get(path) as number,
          unit: "MiB/s",
          limit: inProcess.get(path) as number,
          limitName: "in-process read",
          goal: QEMU_READ_GOAL,
        });
      }
    }
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

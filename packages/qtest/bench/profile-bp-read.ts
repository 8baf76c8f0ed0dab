/**
 * The workload behind the profiles in docs/performance.md: one full BP read through Get Log Page
 * 15h on the QEMU target, guest RAM via the shared file or (BPLAB_SHARED_RAM=off) via b64.
 *
 *   node --cpu-prof --cpu-prof-dir=prof --import tsx bench/profile-bp-read.ts
 *   node --import tsx bench/top-frames.ts prof
 */
import { NvmeHostDriver } from "@bplab/host";
import { createQemuTarget, findPatchedQemu } from "../src/index.js";
import { MIB, seconds } from "./measure.js";

const bpSizeBytes = Number(process.env.BPLAB_BENCH_BP_MIB ?? 64) * MIB;
const binary = await findPatchedQemu();
const target = await createQemuTarget({ binary: binary.path, bootPartition: { bpSizeBytes } });
try {
  const driver = await NvmeHostDriver.attach(target);
  const elapsed = await seconds(async () => {
    const outcome = await driver.bpReadViaLog(0, 0, bpSizeBytes);
    if (!outcome.ok) throw new Error(`the read failed: ${outcome.status}`);
  });
  const via = target.instance.guestRam.path;
  console.log(`${bpSizeBytes / MIB} MiB via ${via}: ${(bpSizeBytes / MIB / elapsed).toFixed(1)} MiB/s`);
} finally {
  await target.close();
}

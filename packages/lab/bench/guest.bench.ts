/**
 * Guest image build and boot times. A benchmark, not a test: it writes bench-results/guest.json
 * and prints a table; nothing here asserts on time.
 *
 *   pnpm --filter @bplab/lab bench            # cached image, 3 boots
 *   BPLAB_BENCH_COLD=1 pnpm --filter @bplab/lab bench   # also rebuild the image once
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bootPartitionLogSize, LogPageId } from "@bplab/nvme-spec";
import { createProgressPrinter } from "@bplab/qemu-patches";
import {
  BootResult,
  buildGuestImage,
  createBootpartImage,
  DEFAULT_BPSZ,
  ensurePatchedQemu,
  GuestScript,
  nvmeCli,
  requireResult,
  runGuest,
} from "../src/index.js";

const BOOTS = 3;
const MS_PER_S = 1000;
const progress = createProgressPrinter({ write: (text) => process.stdout.write(text), interactive: false });

type Row = { what: string; seconds: number };
const rows: Row[] = [];
const add = (what: string, ms: number) => rows.push({ what, seconds: Math.round(ms) / MS_PER_S });

if (process.env.BPLAB_BENCH_COLD === "1") {
  const cold = await buildGuestImage({ force: true, onProgress: progress });
  add("image build (cold: extract, modules, initramfs)", cold.durationMs);
}
const image = await buildGuestImage({ onProgress: progress });
add("image lookup (cached: hash inputs)", image.durationMs);

const qemu = await ensurePatchedQemu({ onProgress: progress });
const dir = mkdtempSync(join(tmpdir(), "bplab-lab-bench-"));
try {
  const bootpart = await createBootpartImage(join(dir, "bootpart.img"));
  const log = `/tmp/bp1.log`;
  const script = new GuestScript()
    .result("read.start_s", "cut -d' ' -f1 /proc/uptime")
    .run(
      "read",
      `${nvmeCli.getLog({ lid: LogPageId.BootPartition, lsp: 1, length: bootPartitionLogSize(DEFAULT_BPSZ) })} > ${log}`,
    )
    .result("read.end_s", "cut -d' ' -f1 /proc/uptime");
  for (let boot = 1; boot <= BOOTS; boot++) {
    const run = await runGuest({ image, qemuBinary: qemu, script, bootpart });
    const uptime = (name: string) => Number(requireResult(run.report, name)) * MS_PER_S;
    add(`boot ${boot}: QEMU start to driver ready (wall)`, run.timing.readyMs ?? Number.NaN);
    add(`boot ${boot}: QEMU start to exit (wall)`, run.timing.exitMs);
    add(`boot ${boot}: kernel start to /init (guest uptime)`, uptime(BootResult.initStarted));
    add(
      `boot ${boot}: insmod + /dev/nvme0 (guest)`,
      uptime(BootResult.driverReady) - uptime(BootResult.initStarted),
    );
    add(`boot ${boot}: get-log 15h of one 128 KiB BP (guest)`, uptime("read.end_s") - uptime("read.start_s"));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "bench-results");
mkdirSync(out, { recursive: true });
const result = {
  date: new Date().toISOString(),
  image: {
    key: image.key,
    kernel: image.manifest.kernelPackage,
    initramfsBytes: image.manifest.initramfsBytes,
  },
  rows,
};
writeFileSync(join(out, "guest.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `\nguest image ${image.key}: ${image.manifest.kernelPackage}, initramfs ${image.manifest.initramfsBytes} bytes`,
);
console.table(rows);
console.log(`written ${join(out, "guest.json")}`);

/**
 * A full Boot Partition read from the Linux guest through nvme-cli (Get Log Page 15h), on the
 * vfio-user device (the TS controller behind stock QEMU) and on the patched QEMU's native nvme
 * device, in the same run, as a ratio (issue 10's target: vfio-user at least half of native).
 * A benchmark, not a test: it writes bench-results/bp-read.json and prints a table; nothing here
 * asserts on time. The rounds alternate the targets so both see the same machine load.
 *
 *   pnpm --filter @bplab/lab bench
 *   BPLAB_BENCH_ROUNDS=3 BPLAB_BENCH_BPSZ=8 node --import tsx bench/bp-read.bench.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BOOT_PARTITION_LOG_HEADER_SIZE, bootPartitionLogSize, LogPageId } from "@bplab/nvme-spec";
import { createProgressPrinter } from "@bplab/qemu-patches";
import {
  buildGuestImage,
  commandOutcome,
  createBootpartImage,
  ensurePatchedQemu,
  GUEST_DEVICE_TARGETS,
  type GuestDeviceTarget,
  GuestScript,
  guestDeviceUnavailable,
  nvmeCli,
  requireResult,
  runGuest,
} from "../src/index.js";
import { sha256Hex } from "../test/helpers/data.js";

const ROUNDS = Number(process.env.BPLAB_BENCH_ROUNDS ?? 2);
/**
 * 3 x 128 KiB per BP: the largest log that still fits one Get Log Page under both devices' MDTS
 * (7: 512 KiB), since nvme-cli 2.3 sends the whole --log-len in one command.
 */
const BPSZ = Number(process.env.BPLAB_BENCH_BPSZ ?? 3);
const READS_PER_BOOT = 5;
const MS_PER_S = 1000;
const progress = createProgressPrinter({ write: (text) => process.stdout.write(text), interactive: false });

const image = await buildGuestImage({ onProgress: progress });
const patchedQemu = await ensurePatchedQemu({ onProgress: progress });
for (const target of GUEST_DEVICE_TARGETS) {
  const reason = await guestDeviceUnavailable(target);
  if (reason) throw new Error(`cannot benchmark the ${target} device: ${reason}`);
}

const bpBytes = BPSZ * 128 * 1024;
const content = new Uint8Array(bpBytes).map((_, i) => (i * 13 + (i >> 11)) & 0xff);
const logPath = "/tmp/bp.log";
const script = new GuestScript();
for (let read = 0; read < READS_PER_BOOT; read++) {
  script
    .result(`read${read}.start_s`, "cut -d' ' -f1 /proc/uptime")
    .run(
      `read${read}`,
      `${nvmeCli.getLog({ lid: LogPageId.BootPartition, lsp: 0, length: bootPartitionLogSize(BPSZ) })} > ${logPath}`,
    )
    .result(`read${read}.end_s`, "cut -d' ' -f1 /proc/uptime")
    .result(
      `read${read}.sha`,
      `tail -c +${BOOT_PARTITION_LOG_HEADER_SIZE + 1} ${logPath} | sha256sum | cut -d' ' -f1`,
    );
}

type Sample = { target: GuestDeviceTarget; round: number; read: number; seconds: number };
const samples: Sample[] = [];
const loadBefore = loadavg();
const dir = mkdtempSync(join(tmpdir(), "bplab-lab-bp-read-"));
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const target of GUEST_DEVICE_TARGETS) {
      const bootpart = await createBootpartImage(join(dir, `${target}-${round}.img`), {
        bpsz: BPSZ,
        bp0: content,
      });
      const run = await runGuest({
        image,
        script,
        bootpart,
        device: target,
        ...(target === "qemu" ? { qemuBinary: patchedQemu } : {}),
      });
      for (let read = 0; read < READS_PER_BOOT; read++) {
        const exit = requireResult(run.report, `read${read}.exit`);
        const sha = requireResult(run.report, `read${read}.sha`);
        if (exit !== "0" || sha !== sha256Hex(content)) {
          const { stderr } = commandOutcome(run.report, `read${read}`);
          throw new Error(`${target} round ${round} read ${read}: exit ${exit}, bytes ${sha}: ${stderr}`);
        }
        const seconds =
          Number(requireResult(run.report, `read${read}.end_s`)) -
          Number(requireResult(run.report, `read${read}.start_s`));
        samples.push({ target, round, read, seconds: Math.round(seconds * MS_PER_S) / MS_PER_S });
      }
      console.log(
        `[bench] round ${round}: ${target} done (boot ${(run.timing.exitMs / MS_PER_S).toFixed(1)} s)`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const MIB = 1024 * 1024;
const rows = GUEST_DEVICE_TARGETS.map((target) => {
  const seconds = median(
    samples.filter((sample) => sample.target === target).map((sample) => sample.seconds),
  );
  return {
    target,
    reads: samples.filter((s) => s.target === target).length,
    medianSeconds: seconds,
    mibPerSecond: Math.round((bpBytes / MIB / seconds) * 100) / 100,
  };
});
const native = rows.find((row) => row.target === "qemu");
const vfioUser = rows.find((row) => row.target === "vfio-user");
const ratio =
  native && vfioUser ? Math.round((vfioUser.mibPerSecond / native.mibPerSecond) * 1000) / 1000 : Number.NaN;

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "bench-results");
mkdirSync(out, { recursive: true });
const result = {
  date: new Date().toISOString(),
  what: "full BP read from the Linux guest: nvme get-log --log-id=0x15 (nvme-cli 2.3), guest /proc/uptime",
  bpBytes,
  readsPerBoot: READS_PER_BOOT,
  rounds: ROUNDS,
  machine: { cpus: cpus().length, loadAverageBefore: loadBefore, loadAverageAfter: loadavg() },
  rows,
  vfioUserToNativeRatio: ratio,
  target: "vfio-user >= 0.5 x native",
  samples,
};
writeFileSync(join(out, "bp-read.json"), `${JSON.stringify(result, null, 2)}\n`);
console.table(rows);
console.log(
  `vfio-user / native = ${ratio} (target >= 0.5); load average ${loadBefore.map((v) => v.toFixed(2)).join(" ")} -> ${loadavg()
    .map((v) => v.toFixed(2))
    .join(" ")}`,
);
console.log(`written ${join(out, "bp-read.json")}`);

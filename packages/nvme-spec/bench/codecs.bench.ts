/**
 * Throughput of the hot codecs (ops/s). A benchmark, not a test: it writes
 * bench-results/codecs.json and prints a table; nothing here asserts on time.
 *
 *   pnpm --filter @bplab/nvme-spec bench
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  bpinfoCodec,
  bprselCodec,
  bpWriteProtectionCodec,
  buildFirmwareCommit,
  buildGetLogPage,
  CommitAction,
  capCodec,
  decodeCqe,
  decodeIdentifyController,
  decodeSqe,
  describeCommand,
  encodeBpWriteProtection,
  encodeCqe,
  encodeIdentifyController,
  encodeSqe,
  LogPageId,
  parseGetLogPage,
  Status,
  toNvmeStatus,
} from "../src/index.js";
import { CAP_QEMU_LIKE_WITH_BPS, KnownVectors } from "../src/testing/index.js";

type Result = { codec: string; opsPerSecond: number; nsPerOp: number; iterations: number };

const WARMUP_ITERATIONS = 2_000;
/** Each codec runs for about this long after warm-up. */
const TARGET_MS = 300;
const NS_PER_MS = 1_000_000;
const NS_PER_S = 1_000_000_000;

let sink: unknown;

function measure(codec: string, operation: () => unknown): Result {
  for (let i = 0; i < WARMUP_ITERATIONS; i++) sink = operation();
  let iterations = 0;
  const start = process.hrtime.bigint();
  let elapsedNs = 0;
  while (elapsedNs < TARGET_MS * NS_PER_MS) {
    for (let i = 0; i < 1_000; i++) sink = operation();
    iterations += 1_000;
    elapsedNs = Number(process.hrtime.bigint() - start);
  }
  return {
    codec,
    opsPerSecond: Math.round((iterations * NS_PER_S) / elapsedNs),
    nsPerOp: elapsedNs / iterations,
    iterations,
  };
}

const commit = buildFirmwareCommit({ cid: 1, ca: CommitAction.ReplaceBootPartition, bpid: 1 });
const logRead = buildGetLogPage({
  cid: 2,
  lid: LogPageId.BootPartition,
  lsp: 1,
  numd: 0x3fff,
  lpo: 16n,
  prp1: 0x10_0000n,
});
const sqeBytes = encodeSqe(logRead);
const cqe = {
  dw0: 0,
  dw1: 0,
  sqhd: 3,
  sqid: 0,
  cid: 1,
  phase: 1 as const,
  status: toNvmeStatus(Status.BootPartitionWriteProhibited),
};
const cqeBytes = encodeCqe(cqe);
const identify = encodeIdentifyController();

const results: Result[] = [
  measure("bpinfoCodec.decode", () => bpinfoCodec.decode(KnownVectors.bpinfoBpsz2000Success)),
  measure("bprselCodec.encode", () => bprselCodec.encode({ bprsz: 2, bprof: 3, bpid: 1 })),
  measure("capCodec.decode", () => capCodec.decode(CAP_QEMU_LIKE_WITH_BPS)),
  measure("encodeBpWriteProtection", () => encodeBpWriteProtection({ bp0: 1, bp1: 1 })),
  measure("bpWriteProtectionCodec.decode", () =>
    bpWriteProtectionCodec.decode(KnownVectors.bpwpUnlockBothCdw11),
  ),
  measure("encodeSqe", () => encodeSqe(logRead)),
  measure("decodeSqe", () => decodeSqe(sqeBytes)),
  measure("encodeCqe", () => encodeCqe(cqe)),
  measure("decodeCqe", () => decodeCqe(cqeBytes)),
  measure("buildGetLogPage", () =>
    buildGetLogPage({ lid: 0x15, lsp: 1, numd: 0x3fff, lpo: 16n, prp1: 0x1000n }),
  ),
  measure("parseGetLogPage", () => parseGetLogPage(logRead)),
  measure("describeCommand", () => describeCommand(commit, { admin: true })),
  measure("encodeIdentifyController", () => encodeIdentifyController()),
  measure("decodeIdentifyController", () => decodeIdentifyController(identify)),
];

const outputDirectory = join(dirname(fileURLToPath(import.meta.url)), "..", "bench-results");
mkdirSync(outputDirectory, { recursive: true });
const outputFile = join(outputDirectory, "codecs.json");
writeFileSync(
  outputFile,
  `${JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`,
);

console.table(
  results.map(({ codec, opsPerSecond, nsPerOp }) => ({
    codec,
    "ops/s": opsPerSecond.toLocaleString("en-US"),
    "ns/op": nsPerOp.toFixed(0),
  })),
);
console.log(`wrote ${outputFile}${sink === undefined ? "" : ""}`);

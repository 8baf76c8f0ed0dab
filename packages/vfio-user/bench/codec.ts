/**
 * `pnpm bench` for the codec: frames and decodes QEMU's hot messages (posted BAR writes, register
 * reads) and builds DMA_WRITE requests, then writes bench-results/codec.json and prints a
 * table. A measurement, never a test. Usage: node --import tsx bench/codec.ts [--quick]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeRequest, dmaWriteRequest, MessageParser } from "../src/index.js";
import { regionReadRequest, regionWriteRequest } from "../src/testing/index.js";

const quick = process.argv.includes("--quick");
const MESSAGES = quick ? 100_000 : 1_000_000;

function measure(name: string, count: number, bytesEach: number, work: () => void) {
  const started = process.hrtime.bigint();
  work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    name,
    count,
    seconds,
    perSecond: Math.round(count / seconds),
    mibPerSecond: (count * bytesEach) / seconds / 2 ** 20,
  };
}

// A stream of posted doorbell writes and BPINFO reads, delivered in 64 KiB chunks as a socket would.
const write = regionWriteRequest(1, 0, 0x1000n, Buffer.from([1, 0, 0, 0]), true);
const read = regionReadRequest(2, 0, 0x40n, 4);
const pair = Buffer.concat([write, read]);
const stream = Buffer.concat(Array.from({ length: 1024 }, () => pair));

const results = [
  measure("parse+decode REGION_WRITE/READ", MESSAGES, pair.length / 2, () => {
    const parser = new MessageParser();
    let decoded = 0;
    while (decoded < MESSAGES) {
      for (let at = 0; at < stream.length; at += 65536)
        for (const message of parser.push(stream.subarray(at, at + 65536))) {
          decodeRequest(message);
          decoded += 1;
        }
    }
  }),
  measure("serialize DMA_WRITE 4 KiB", MESSAGES / 10, 4096, () => {
    const page = new Uint8Array(4096);
    for (let i = 0; i < MESSAGES / 10; i++) dmaWriteRequest(i & 0xffff, 0x100000n, page, "qemu");
  }),
];

// The package's own bench-results/ (next to qemu.json), wherever the script is started from.
const out = join(dirname(fileURLToPath(import.meta.url)), "..", "bench-results", "codec.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.table(
  results.map((r) => ({ ...r, seconds: r.seconds.toFixed(3), mibPerSecond: r.mibPerSecond.toFixed(1) })),
);

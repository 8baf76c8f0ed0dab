/**
 * qtest round trips (one at a time and pipelined) and bulk guest memory through the shared RAM file
 * against b64 over the socket, on one QEMU. For the round trips it also splits the time: CPU of
 * this process, CPU of QEMU, and the rest, which is waiting (wake-ups, scheduling).
 */
import { RegisterOffset } from "@bplab/nvme-spec";
import { createQemuTarget } from "../src/index.js";
import { type BenchRow, bestSeconds, MIB, processCpuSeconds, seconds } from "./measure.js";

const ROUND_TRIPS = 20_000;
const PIPELINE_DEPTH = 64;
const BULK_BYTES = 64 * MIB;
const REPEATS = 3;

export interface RoundTripSplit {
  readonly wallMicros: number;
  readonly nodeCpuMicros: number;
  readonly qemuCpuMicros: number | undefined;
}

export async function roundTripRows(binary: string): Promise<{ rows: BenchRow[]; split: RoundTripSplit }> {
  const target = await createQemuTarget({ binary, namespaceBytes: 0 });
  const qtest = target.instance.qtest;
  const rows: BenchRow[] = [];
  try {
    const vs = target.bar0Address + BigInt(RegisterOffset.VS);
    const nodeBefore = process.cpuUsage();
    const qemuBefore = processCpuSeconds(target.instance.pid);
    const sequential = await seconds(async () => {
      for (let index = 0; index < ROUND_TRIPS; index++) await qtest.readl(vs);
    });
    const nodeCpu = process.cpuUsage(nodeBefore);
    const qemuAfter = processCpuSeconds(target.instance.pid);
    const split: RoundTripSplit = {
      wallMicros: (sequential * 1e6) / ROUND_TRIPS,
      nodeCpuMicros: (nodeCpu.user + nodeCpu.system) / ROUND_TRIPS,
      qemuCpuMicros:
        qemuBefore === undefined || qemuAfter === undefined
          ? undefined
          : ((qemuAfter - qemuBefore) * 1e6) / ROUND_TRIPS,
    };
    rows.push({
      workload: "qtest round trips, one at a time (readl of VS)",
      value: ROUND_TRIPS / sequential,
      unit: "1/s",
      detail: `${ROUND_TRIPS} reads`,
    });
    const pipelined = await bestSeconds(REPEATS, async () => {
      for (let index = 0; index < ROUND_TRIPS; index += PIPELINE_DEPTH) {
        await Promise.all(Array.from({ length: PIPELINE_DEPTH }, () => qtest.readl(vs)));
      }
    });
    rows.push({
      workload: `qtest round trips, pipelined ${PIPELINE_DEPTH} deep`,
      value: ROUND_TRIPS / pipelined,
      unit: "1/s",
    });

    const address = await target.alloc(BULK_BYTES);
    const data = new Uint8Array(BULK_BYTES).map((_, index) => (index * 31) & 0xff);
    const ram = qtest.guestRam;
    for (const path of ["file", "b64"] as const) {
      qtest.attachGuestRam(path === "file" ? ram : undefined);
      const write = await bestSeconds(REPEATS, () => target.memWrite(address, data));
      let back: Uint8Array = new Uint8Array(0);
      const read = await bestSeconds(REPEATS, async () => {
        back = await target.memRead(address, BULK_BYTES);
      });
      if (Buffer.compare(back, data) !== 0)
        throw new Error(`${path}: memRead gave other bytes than memWrite`);
      rows.push({
        workload: `guest memWrite 64 MiB (${path})`,
        value: BULK_BYTES / MIB / write,
        unit: "MiB/s",
      });
      rows.push({
        workload: `guest memRead 64 MiB (${path})`,
        value: BULK_BYTES / MIB / read,
        unit: "MiB/s",
      });
    }
    qtest.attachGuestRam(ram);
    return { rows, split };
  } finally {
    await target.close();
  }
}

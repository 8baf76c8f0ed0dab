/**
 * Progress of long transfers (a 1 GiB BP write or read). A bar on a terminal; nothing otherwise,
 * so piped output and tests stay clean.
 */
import { SingleBar } from "cli-progress";
import type { CliIo } from "./io.js";

export interface Progress {
  update(doneBytes: number): void;
  stop(): void;
}

const MIB = 1024 * 1024;

export function startProgress(io: CliIo, label: string, totalBytes: number): Progress {
  const stream = io.progressStream;
  if (!stream) return { update() {}, stop() {} };
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% {doneMiB}/{totalMiB} MiB {rate} MiB/s eta {eta}s`,
    hideCursor: true,
    etaBuffer: 50,
  });
  const started = Date.now();
  const payload = (done: number) => {
    const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
    return {
      doneMiB: (done / MIB).toFixed(1),
      totalMiB: (totalBytes / MIB).toFixed(1),
      rate: (done / MIB / seconds).toFixed(1),
    };
  };
  bar.start(totalBytes, 0, payload(0));
  return {
    update(done) {
      bar.update(done, payload(done));
    },
    stop() {
      bar.stop();
    },
  };
}

import {
  buildFirmwareCommit,
  buildFirmwareImageDownload,
  buildGetFeatures,
  buildGetLogPage,
  buildSetFeatures,
  type CompletionQueueEntry,
  FeatureId,
  numdForBytes,
} from "@bplab/nvme-spec";
import type { Rig } from "./harness.js";

/** Host-side helpers for the firmware flows tests repeat: downloads, commits, FID 85h, log reads. */

export function setWriteProtection(rig: Rig, cdw11: number, options: { sv?: boolean; nsid?: number } = {}) {
  return rig.host.submit(
    buildSetFeatures({
      fid: FeatureId.BootPartitionWriteProtection,
      cdw11,
      sv: options.sv,
      nsid: options.nsid,
    }),
  );
}

export function getWriteProtection(rig: Rig, sel = 0): CompletionQueueEntry {
  return rig.host.submit(buildGetFeatures({ fid: FeatureId.BootPartitionWriteProtection, sel }));
}

/** Downloads `image` in `chunkBytes` pieces from offset `startOffset`; returns each completion. */
export function download(
  rig: Rig,
  image: Uint8Array,
  chunkBytes: number,
  options: { startOffset?: number; cdw12?: number } = {},
): CompletionQueueEntry[] {
  const buffer = rig.memory.alloc(chunkBytes);
  const results: CompletionQueueEntry[] = [];
  for (let offset = 0; offset < image.length; offset += chunkBytes) {
    const piece = image.subarray(offset, offset + chunkBytes);
    rig.memory.write(buffer, piece);
    const prps = prpsFor(rig, buffer, piece.length);
    results.push(
      rig.host.submit(
        buildFirmwareImageDownload({
          numd: numdForBytes(piece.length),
          ofst: ((options.startOffset ?? 0) + offset) / 4,
          cdw12: options.cdw12,
          ...prps,
        }),
      ),
    );
  }
  return results;
}

export function commit(rig: Rig, ca: number, bpid: number, fs = 0): CompletionQueueEntry {
  return rig.host.submit(buildFirmwareCommit({ ca, bpid, fs }));
}

/** A Get Log Page into a fresh buffer; returns the completion and the bytes the device wrote. */
export function readLog(
  rig: Rig,
  options: { lid: number; lsp?: number; lpo?: bigint; length: number; nsid?: number; csi?: number },
): { cqe: CompletionQueueEntry; data: Uint8Array } {
  const buffer = rig.memory.alloc(options.length);
  const prps = prpsFor(rig, buffer, options.length);
  const cqe = rig.host.submit(
    buildGetLogPage({
      lid: options.lid,
      lsp: options.lsp,
      lpo: options.lpo,
      numd: numdForBytes(options.length),
      nsid: options.nsid,
      csi: options.csi,
      ...prps,
    }),
  );
  return { cqe, data: rig.memory.read(buffer, options.length) };
}

/** PRP1/PRP2 for a contiguous buffer: PRP2 is the second page or a PRP list built in host memory. */
export function prpsFor(rig: Rig, buffer: bigint, length: number): { prp1: bigint; prp2: bigint } {
  const page = 4096n;
  const firstPageBytes = Number(page - (buffer % page));
  if (length <= firstPageBytes) return { prp1: buffer, prp2: 0n };
  const secondPage = buffer - (buffer % page) + page;
  if (length <= firstPageBytes + 4096) return { prp1: buffer, prp2: secondPage };
  const pages = Math.ceil((length - firstPageBytes) / 4096);
  const list = rig.memory.alloc(pages * 8, 8);
  const entries = new DataView(new ArrayBuffer(pages * 8));
  for (let index = 0; index < pages; index++)
    entries.setBigUint64(index * 8, secondPage + BigInt(index) * page, true);
  rig.memory.write(list, new Uint8Array(entries.buffer));
  return { prp1: buffer, prp2: list };
}

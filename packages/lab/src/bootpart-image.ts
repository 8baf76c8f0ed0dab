/**
 * The patched QEMU's `bootpart` drive as a host file: BP0, BP1 (BPSZ x 128 KiB each), then the
 * 4 KiB ABPID metadata block (docs/qemu.md). Tests write BP images into it before a boot and read
 * what the guest committed after QEMU exits.
 */
import { open, writeFile } from "node:fs/promises";
import { BOOT_PARTITION_COUNT, BPSZ_MAX, type BpId, bootPartitionSizeBytes } from "@bplab/nvme-spec";
import { BOOTPART_METADATA_BYTES, bootPartitionImageBytes } from "@bplab/qtest";
import { LabBadOptionError } from "./errors.js";

/** The smallest BP the device accepts: one 128 KiB unit, so a guest reads it in one command. */
export const DEFAULT_BPSZ = 1;

export interface BootpartImageOptions {
  /** BPINFO.BPSZ: each BP is BPSZ x 128 KiB (1..0x7FFF). */
  bpsz?: number;
  /** Initial BP contents, zero-filled to the BP size. */
  bp0?: Uint8Array;
  bp1?: Uint8Array;
}

export interface BootpartImage {
  readonly path: string;
  readonly bpsz: number;
  readonly bpSizeBytes: number;
}

function checkBpsz(bpsz: number): number {
  if (!Number.isInteger(bpsz) || bpsz < 1 || bpsz > BPSZ_MAX) {
    throw new LabBadOptionError("bpsz", `must be an integer 1..${BPSZ_MAX}`, bpsz);
  }
  return bpsz;
}

function checkBpid(bpid: number): BpId {
  if (bpid !== 0 && bpid !== 1) throw new LabBadOptionError("bpid", "must be 0 or 1", bpid);
  return bpid;
}

function checkContent(field: string, data: Uint8Array, bpSizeBytes: number): void {
  if (data.length > bpSizeBytes) {
    throw new LabBadOptionError(field, `must fit in one BP (${bpSizeBytes} bytes)`, `${data.length} bytes`);
  }
}

/** Writes a fresh image (metadata block zero: ABPID 0) with the given BP contents. */
export async function createBootpartImage(
  path: string,
  options: BootpartImageOptions = {},
): Promise<BootpartImage> {
  const bpsz = checkBpsz(options.bpsz ?? DEFAULT_BPSZ);
  const bpSizeBytes = bootPartitionSizeBytes(bpsz);
  const image = new Uint8Array(bootPartitionImageBytes(bpSizeBytes));
  const contents = [options.bp0, options.bp1];
  for (let bpid = 0; bpid < BOOT_PARTITION_COUNT; bpid++) {
    const data = contents[bpid];
    if (!data) continue;
    checkContent(`bp${bpid}`, data, bpSizeBytes);
    image.set(data, bpid * bpSizeBytes);
  }
  await writeFile(path, image);
  return { path, bpsz, bpSizeBytes };
}

/** The whole content of one BP as the device stored it. */
export async function readBootPartition(image: BootpartImage, bpid: number): Promise<Uint8Array> {
  const offset = checkBpid(bpid) * image.bpSizeBytes;
  const file = await open(image.path, "r");
  try {
    const data = new Uint8Array(image.bpSizeBytes);
    const { bytesRead } = await file.read(data, 0, data.length, offset);
    if (bytesRead !== data.length) {
      throw new LabBadOptionError(
        "bootpart image",
        `is shorter than 2 BPs plus ${BOOTPART_METADATA_BYTES} bytes`,
        image.path,
      );
    }
    return data;
  } finally {
    await file.close();
  }
}

/** `data` zero-filled to one BP: what the BP holds after a commit of `data` (MC-21). */
export function zeroFilledBootPartition(data: Uint8Array, bpSizeBytes: number): Uint8Array {
  checkContent("data", data, bpSizeBytes);
  const padded = new Uint8Array(bpSizeBytes);
  padded.set(data);
  return padded;
}

/**
 * The QEMU the guest boots on: @bplab/qemu-patches' patched build (its nvme device has the
 * `bootpart` drive). The series changes while the lab is in use, and each change gets its own
 * cached build, so `ensurePatchedQemu` builds the current one when it is missing.
 */

import type { ProgressListener } from "@bplab/qemu-patches";
import { build, QemuNotBuiltError, qemuBinaryPath } from "@bplab/qemu-patches";

export interface EnsureQemuOptions {
  onProgress?: ProgressListener;
  /** Called once, before a build starts, so callers can say why the first run is slow. */
  onBuildStart?: () => void;
}

/** The patched qemu-system-x86_64; builds it (ccache, cached per series) when it is not built. */
export async function ensurePatchedQemu(options: EnsureQemuOptions = {}): Promise<string> {
  try {
    return qemuBinaryPath();
  } catch (error) {
    if (!(error instanceof QemuNotBuiltError)) throw error;
    options.onBuildStart?.();
    return (await build(options.onProgress ? { onProgress: options.onProgress } : {})).binary;
  }
}

/**
 * Everything a firmware-lab boot needs, found or built: the Debian packages (installed as root),
 * the patched QEMU (@bplab/lab builds it when missing), the Linux guest image of @bplab/lab and
 * the EFI app (cached by content hash). `firmwareLabSkipReason` says why a host cannot run it.
 */
import {
  buildGuestImage,
  detectHostFacts,
  ensurePatchedQemu,
  type GuestImage,
  hostBlockers,
} from "@bplab/lab";
import type { ProgressListener } from "@bplab/qemu-patches";
import { buildEfiApp, type EfiAppBuild } from "./efi-build.js";
import { FirmwareHostUnsupportedError } from "./errors.js";
import { ensureFirmwareHostTools } from "./host-tools.js";

/** The switch `npm test` honours for every QEMU test (scripts/suites/qemu.mjs). */
export const SKIP_QEMU_ENV = "BPLAB_SKIP_QEMU";

export interface FirmwareLab {
  readonly qemu: string;
  readonly guestImage: GuestImage;
  readonly app: EfiAppBuild;
}

export interface PrepareOptions {
  onProgress?: ProgressListener;
  onNote?: (text: string) => void;
}

export async function prepareFirmwareLab(options: PrepareOptions = {}): Promise<FirmwareLab> {
  const facts = detectHostFacts();
  const blockers = hostBlockers(facts);
  if (blockers.length > 0) throw new FirmwareHostUnsupportedError(blockers);
  for (const pkg of await ensureFirmwareHostTools(facts)) {
    options.onNote?.(`${pkg.name} ${pkg.installed ?? "(unknown)"} differs from the pinned ${pkg.pinned}`);
  }
  const app = await buildEfiApp();
  options.onNote?.(`EFI app ${app.key} (${app.cached ? "cached" : "built"}): ${app.path}`);
  let qemu: string;
  try {
    qemu = await ensurePatchedQemu({
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      onBuildStart: () => options.onNote?.("the patched QEMU is not built yet: building it (cached)"),
    });
  } catch (error) {
    throw new FirmwareHostUnsupportedError([
      `the patched QEMU (it cannot be built: ${(error as Error).message})`,
    ]);
  }
  const guestImage = await buildGuestImage(options.onProgress ? { onProgress: options.onProgress } : {});
  options.onNote?.(`guest image ${guestImage.key} (${guestImage.cached ? "cached" : "built"})`);
  return { qemu, guestImage, app };
}

/** Why this host skips the firmware lab, or undefined when it can try. */
export async function firmwareLabSkipReason(
  options: PrepareOptions = {},
): Promise<{ skip: string } | { lab: FirmwareLab }> {
  if (process.env[SKIP_QEMU_ENV] === "1") return { skip: `${SKIP_QEMU_ENV}=1` };
  try {
    return { lab: await prepareFirmwareLab(options) };
  } catch (error) {
    // Not root with packages missing, not Linux x86-64, or no patched QEMU: a reason, not a failure.
    const code = (error as { code?: string }).code;
    if (code === "FIRMWARE_HOST_UNSUPPORTED" || code === "LAB_HOST_UNSUPPORTED")
      return { skip: (error as Error).message };
    throw error;
  }
}

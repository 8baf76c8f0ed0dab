/**
 * What the guest tests need: root on Debian and the guest image (built or taken from the cache),
 * then per device target its QEMU: the patched build for "qemu" (built here when it is not yet,
 * as `npm test`'s qemu suite would), the unpatched build plus fd passing for "vfio-user" (both
 * built by `npm test`'s prepare step). When something is missing the tests of that target skip
 * and say why, once per file.
 */
import { createProgressPrinter } from "@bplab/qemu-patches";
import {
  GUEST_DEVICE_TARGETS,
  type GuestDeviceTarget,
  guestDeviceUnavailable,
} from "../../src/device-target.js";
import { buildGuestImage, type GuestImage } from "../../src/guest-image.js";
import { detectHostFacts, hostBlockers } from "../../src/host-system.js";
import { ensurePatchedQemu } from "../../src/patched-qemu.js";

const progress = createProgressPrinter({ write: (text) => process.stdout.write(text), interactive: false });

/** The switch `npm test` already honours for every QEMU test (scripts/suites/qemu.mjs). */
const SKIP_QEMU_ENV = "BPLAB_SKIP_QEMU";

type Prepared<T> = { skip: string } | T;

async function prepareImage(): Promise<Prepared<{ image: GuestImage }>> {
  if (process.env[SKIP_QEMU_ENV] === "1") return { skip: `${SKIP_QEMU_ENV}=1` };
  const facts = detectHostFacts();
  const blockers = hostBlockers(facts);
  if (!facts.isRoot) blockers.push("not root (the guest build installs Debian packages)");
  if (blockers.length > 0) return { skip: blockers.join("; ") };
  const image = await buildGuestImage({ onProgress: progress });
  const how = image.cached ? "cached" : `built in ${Math.round(image.durationMs / 1000)} s`;
  console.log(
    `[lab] guest image ${image.key} (${how}): ${image.manifest.kernelPackage}, modules ${image.manifest.modules.join(" ")}`,
  );
  return { image };
}

/** The QEMU binary of a target (undefined: the target's default), or why it cannot run. */
async function prepareTarget(target: GuestDeviceTarget): Promise<Prepared<{ qemu: string | undefined }>> {
  if (target === "vfio-user") {
    const unavailable = await guestDeviceUnavailable(target);
    return unavailable ? { skip: unavailable } : { qemu: undefined };
  }
  try {
    return {
      qemu: await ensurePatchedQemu({
        onProgress: progress,
        onBuildStart: () => console.log("[lab] the patched QEMU is not built yet: building it (cached)"),
      }),
    };
  } catch (error) {
    return { skip: `the patched QEMU cannot be built: ${(error as Error).message}` };
  }
}

type LabGuest = { qemu: string | undefined; image: GuestImage; device: GuestDeviceTarget };

async function prepare(): Promise<Record<GuestDeviceTarget, Prepared<LabGuest>>> {
  const image = await prepareImage();
  const entries = [];
  for (const device of GUEST_DEVICE_TARGETS) {
    const target = "skip" in image ? image : await prepareTarget(device);
    entries.push([device, "skip" in target ? target : { ...target, ...image, device }] as const);
  }
  return Object.fromEntries(entries) as Record<GuestDeviceTarget, Prepared<LabGuest>>;
}

const lab = await prepare();
for (const device of GUEST_DEVICE_TARGETS) {
  const prepared = lab[device];
  if ("skip" in prepared)
    console.warn(`[lab] skipping the guest tests on the ${device} device: ${prepared.skip}`);
}

/** Why the guest tests cannot run on `device` here, or undefined. */
export function labSkipReason(device: GuestDeviceTarget): string | undefined {
  const prepared = lab[device];
  return "skip" in prepared ? prepared.skip : undefined;
}

/** The image, QEMU and device target to pass to runGuest. */
export function labGuest(device: GuestDeviceTarget): LabGuest {
  const prepared = lab[device];
  if ("skip" in prepared) throw new Error(`guest tests run without a guest: ${prepared.skip}`);
  return prepared;
}

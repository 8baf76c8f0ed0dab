/**
 * What the guest tests need: root on Debian, the patched QEMU (built here when it is not yet,
 * as `npm test`'s qemu suite would) and the guest image (built or taken from the cache). When
 * something is missing the tests skip and say why, once per file.
 */
import { createProgressPrinter } from "@bplab/qemu-patches";
import { buildGuestImage, type GuestImage } from "../../src/guest-image.js";
import { detectHostFacts, hostBlockers } from "../../src/host-system.js";
import { ensurePatchedQemu } from "../../src/patched-qemu.js";

const progress = createProgressPrinter({ write: (text) => process.stdout.write(text), interactive: false });

/** The switch `npm test` already honours for every QEMU test (scripts/suites/qemu.mjs). */
const SKIP_QEMU_ENV = "BPLAB_SKIP_QEMU";

async function prepare(): Promise<{ skip: string } | { qemu: string; image: GuestImage }> {
  if (process.env[SKIP_QEMU_ENV] === "1") return { skip: `${SKIP_QEMU_ENV}=1` };
  const facts = detectHostFacts();
  const blockers = hostBlockers(facts);
  if (!facts.isRoot) blockers.push("not root (the guest build installs Debian packages)");
  if (blockers.length > 0) return { skip: blockers.join("; ") };
  let qemu: string;
  try {
    qemu = await ensurePatchedQemu({
      onProgress: progress,
      onBuildStart: () => console.log("[lab] the patched QEMU is not built yet: building it (cached)"),
    });
  } catch (error) {
    return { skip: `the patched QEMU cannot be built: ${(error as Error).message}` };
  }
  const image = await buildGuestImage({ onProgress: progress });
  const how = image.cached ? "cached" : `built in ${Math.round(image.durationMs / 1000)} s`;
  console.log(
    `[lab] guest image ${image.key} (${how}): ${image.manifest.kernelPackage}, modules ${image.manifest.modules.join(" ")}`,
  );
  return { qemu, image };
}

export const lab = await prepare();
export const labSkipReason = "skip" in lab ? lab.skip : undefined;
if (labSkipReason) console.warn(`[lab] skipping the guest tests: ${labSkipReason}`);

export function labGuest(): { qemu: string; image: GuestImage } {
  if ("skip" in lab) throw new Error(`guest tests run without a guest: ${lab.skip}`);
  return lab;
}

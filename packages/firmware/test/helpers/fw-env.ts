/**
 * What the firmware e2e tests need (root or the Debian packages, the patched QEMU, the guest
 * image, the EFI app), prepared once per file; when something is missing they skip and say why.
 */
import { createProgressPrinter } from "@bplab/qemu-patches";
import { vfioUserUnavailableReason } from "../../src/device-target.js";
import { type FirmwareLab, firmwareLabSkipReason } from "../../src/prepare.js";

const progress = createProgressPrinter({ write: (text) => process.stdout.write(text), interactive: false });

const prepared = await firmwareLabSkipReason({
  onProgress: progress,
  onNote: (text) => console.log(`[firmware] ${text}`),
});
export const firmwareSkipReason = "skip" in prepared ? prepared.skip : undefined;
if (firmwareSkipReason) console.warn(`[firmware] skipping the boot tests: ${firmwareSkipReason}`);

/**
 * Why the boots cannot also run on the vfio-user device: no stock QEMU with vfio-user-pci (the
 * unpatched build of @bplab/qemu-patches), or no usocket for the interrupts Linux needs.
 */
export const vfioUserSkipReason =
  firmwareSkipReason ?? (await vfioUserUnavailableReason({ needsInterrupts: true }));
if (vfioUserSkipReason && !firmwareSkipReason)
  console.warn(`[firmware] skipping the boot tests on the vfio-user device: ${vfioUserSkipReason}`);

export function firmwareLab(): FirmwareLab {
  if ("skip" in prepared) throw new Error(`boot tests run without a lab: ${prepared.skip}`);
  return prepared.lab;
}

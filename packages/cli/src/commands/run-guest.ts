/**
 * `bplab run --guest linux`: @bplab/lab's Debian guest (kernel, initramfs with busybox and
 * nvme-cli, its /init) booted on the vfio-user device. The lab's /init runs the script it finds
 * on the kernel command line, prints to the serial console (our stdout) and powers off, so QEMU
 * exits and `bplab run` cleans up.
 */
import { readFileSync } from "node:fs";
import { buildGuestImage, GUEST_KERNEL_ARGS, scriptCmdlineArgument } from "@bplab/lab";
import { CliUsageError } from "../errors.js";

export const GUEST_CHOICES = ["linux"] as const;
export type GuestChoice = (typeof GUEST_CHOICES)[number];

/** What the guest does by default: show that the Linux nvme driver bound the device and what nvme-cli sees. */
export const DEFAULT_GUEST_SCRIPT = [
  "nvme list",
  "nvme id-ctrl /dev/nvme0 -H | grep -iE '^(mn|sn|frmw|lpa|fwug)|bpcap'",
  "nvme get-feature /dev/nvme0 --feature-id=0x85 --sel=0",
  "grep nvme /proc/interrupts",
].join("\n");

/** The -kernel/-initrd/-append arguments; builds the guest image on first use (then cached). */
export async function linuxGuestQemuArgs(
  scriptFile: string | undefined,
  log: (line: string) => void,
): Promise<string[]> {
  const script = scriptFile ? readFileSync(scriptFile, "utf8") : DEFAULT_GUEST_SCRIPT;
  let scriptArgument: string;
  try {
    scriptArgument = scriptCmdlineArgument(script);
  } catch (error) {
    // It travels on the kernel command line, which has room for MAX_CMDLINE_SCRIPT_BYTES of base64.
    throw new CliUsageError("--guest-script", (error as Error).message);
  }
  const image = await buildGuestImage({});
  log(`guest image ${image.key} (${image.cached ? "cached" : "built"})`);
  return [
    ...["-kernel", image.kernel, "-initrd", image.initramfs],
    ...["-append", [...GUEST_KERNEL_ARGS, scriptArgument].join(" ")],
  ];
}

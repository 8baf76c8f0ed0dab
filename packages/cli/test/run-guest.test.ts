// bplab run --guest linux: @bplab/lab's Debian guest on stock QEMU with the TS controller behind
// vfio-user-pci. The Linux nvme driver must bind (its queues' MSI-X vectors show interrupts, which
// only arrive through the eventfds) and nvme-cli must see the Boot Partition controller.
import { detectHostFacts, hostBlockers } from "@bplab/lab";
import { findUnpatchedQemuBinary } from "@bplab/qtest";
import { expect, it } from "vitest";
import { bplab } from "./cli-support.js";

const skip = await (async () => {
  if (process.env.BPLAB_SKIP_QEMU === "1") return "BPLAB_SKIP_QEMU=1";
  try {
    await findUnpatchedQemuBinary();
  } catch (error) {
    return (error as Error).message;
  }
  const facts = detectHostFacts();
  const blockers = hostBlockers(facts);
  if (!facts.isRoot) blockers.push("not root (the guest build installs Debian packages)");
  return blockers.length > 0 ? blockers.join("; ") : undefined;
})();
if (skip) console.warn(`skipping the bplab run --guest linux test: ${skip}`);

// No time limit (project rule): a TCG boot takes 15-20 s on two shared cores, longer under load.
it.skipIf(skip !== undefined)(
  "boots Linux on the vfio-user device: the nvme driver binds with interrupts, nvme-cli reads FID 85h",
  async () => {
    const run = await bplab("run", "--guest", "linux");
    expect(run.code, run.stderr).toBe(0);
    // nvme list: the TS controller's model string.
    expect(run.stdout).toContain("bplab NVMe Boot Partition controller");
    // Power-on lock state (MC-41): both BPs Write Locked = 0x12.
    expect(run.stdout).toContain("get-feature:0x85 (Unknown), Current value:0x00000012");
    // The admin and I/O queue vectors took interrupts.
    const adminIrqs = /^\s*\d+:\s+(\d+)\s+PCI-MSI.*nvme0q0$/m.exec(run.stdout);
    expect(Number(adminIrqs?.[1])).toBeGreaterThan(0);
  },
  0,
);

// bplab run --guest linux: @bplab/lab's Debian guest on stock QEMU with the TS controller behind
// vfio-user-pci. The Linux nvme driver must bind (its queues' MSI-X vectors show interrupts, which
// only arrive through the eventfds) and nvme-cli must see the Boot Partition controller.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { detectHostFacts, hostBlockers, nvmeCli } from "@bplab/lab";
import {
  BpWriteProtectionState,
  bootPartitionLogSize,
  CommitAction,
  encodeBpWriteProtection,
  FeatureId,
  LogPageId,
} from "@bplab/nvme-spec";
import { findUnpatchedQemuBinary } from "@bplab/qtest";
import { expect, it } from "vitest";
import { bplab, tempDir } from "./cli-support.js";

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

const BPWP = FeatureId.BootPartitionWriteProtection;
const { NoChange, WriteUnlocked, WriteLockedUntilPowerCycle } = BpWriteProtectionState;
const IMAGE_BYTES = 96 * 1024;

/** nvme-cli writes, reads back and locks BP1; each step echoes its exit status for the host. */
function lockFlowScript(): string {
  const commitBp1 = nvmeCli.fwCommit({ action: CommitAction.ReplaceBootPartition, bpid: 1 });
  const write = (name: string) => `${nvmeCli.fwDownload("/tmp/i")}; ${commitBp1}; echo ${name}=$?`;
  return [
    `head -c ${IMAGE_BYTES} /dev/zero | tr '\\0' A > /tmp/i`,
    write("commit.locked"),
    nvmeCli.setFeature(BPWP, encodeBpWriteProtection({ bp0: NoChange, bp1: WriteUnlocked })),
    write("commit.unlocked"),
    `${nvmeCli.getLog({ lid: LogPageId.BootPartition, lsp: 1, length: bootPartitionLogSize(1) })} | tail -c +17 | head -c ${IMAGE_BYTES} | cmp - /tmp/i; echo readback=$?`,
    nvmeCli.setFeature(BPWP, encodeBpWriteProtection({ bp0: NoChange, bp1: WriteLockedUntilPowerCycle })),
    write("commit.wlupc"),
  ].join("\n");
}

it.skipIf(skip !== undefined)(
  "nvme-cli in the guest writes BP1, reads it back and locks it; the state directory holds the image",
  async () => {
    const dir = tempDir();
    try {
      const script = join(dir.path, "flow.sh");
      writeFileSync(script, lockFlowScript());
      const state = join(dir.path, "state");
      const run = await bplab(
        "run",
        "--guest",
        "linux",
        "--guest-script",
        script,
        "--state",
        state,
        "--bpsz",
        "128K",
      );
      expect(run.code, run.stderr).toBe(0);
      // Power-on lock state is Write Locked (MC-41): the commit is refused with 1h/1Eh.
      expect(run.stdout).toContain("commit.locked=1");
      expect(run.stdout).toContain("Boot Partition Write Prohibited");
      expect(run.stdout).toContain("commit.unlocked=0");
      expect(run.stdout).toContain("readback=0");
      expect(run.stdout).toContain("commit.wlupc=1");
      // The image reached the state directory's BP1, zero-filled to the BP size (MC-21).
      const bp1 = readFileSync(join(state, "bp1.img"));
      expect(bp1.subarray(0, IMAGE_BYTES).every((byte) => byte === 0x41)).toBe(true);
      expect(bp1.subarray(IMAGE_BYTES).every((byte) => byte === 0)).toBe(true);
    } finally {
      dir.remove();
    }
  },
  0,
);

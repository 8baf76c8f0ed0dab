/**
 * What the OS tries once the firmware handed over: the guest script Linux runs with nvme-cli
 * after the EFI app. It reads the lock, tries to unlock BP1, to download + commit its own image,
 * to reset its way out (`nvme reset`, then a PCI Function Level Reset through sysfs) and tries
 * again, and reads BP1 back through Get Log Page 15h. Each step reports under a fixed name.
 */

import { GuestScript, nvmeCli } from "@bplab/lab";
import {
  BOOT_PARTITION_LOG_HEADER_SIZE,
  BpWriteProtectionState,
  bootPartitionLogSize,
  CommitAction,
  encodeBpWriteProtection,
  FeatureId,
  LogPageId,
} from "@bplab/nvme-spec";

const BPWP = FeatureId.BootPartitionWriteProtection;
/** Set Features 85h: BP1 Write Unlocked, BP0 000b (no change). */
export const OS_UNLOCK_BP1 = encodeBpWriteProtection({
  bp0: BpWriteProtectionState.NoChange,
  bp1: BpWriteProtectionState.WriteUnlocked,
});

/** The step names, in order; each `bplab_run` step reports NAME.exit/.stdout/.stderr. */
export const OsStep = Object.freeze({
  lockAtHandover: "lock.handover",
  unlock: "unlock",
  download: "download",
  commit: "commit",
  reset: "reset",
  lockAfterReset: "lock.reset",
  resetDownload: "reset.download",
  resetCommit: "reset.commit",
  flr: "flr",
  flrWait: "flr.wait",
  lockAfterFlr: "lock.flr",
  flrDownload: "flr.download",
  flrCommit: "flr.commit",
  readBp1: "getlog1",
  readBp1Sha: "getlog1.sha",
});

/** FLR through sysfs; the nvme driver re-initialises the controller in its reset_done hook. */
const FLR_COMMAND = 'echo 1 > "$(readlink -f /sys/class/nvme/nvme0/device)/reset"';
/** After the FLR the controller is usable again once an admin command succeeds (polled, no time limit). */
const WAIT_FOR_CONTROLLER = `until ${nvmeCli.getFeature(BPWP)} >/dev/null 2>&1; do sleep 0.2; done`;

export function osAttemptScript(osImage: Uint8Array, bpsz: number): GuestScript {
  const script = new GuestScript();
  const image = script.file("os-bp1.bin", osImage);
  const commit = nvmeCli.fwCommit({ action: CommitAction.ReplaceBootPartition, bpid: 1 });
  script.run(OsStep.lockAtHandover, nvmeCli.getFeature(BPWP));
  script.run(OsStep.unlock, nvmeCli.setFeature(BPWP, OS_UNLOCK_BP1));
  script.run(OsStep.download, nvmeCli.fwDownload(image));
  script.run(OsStep.commit, commit);
  script.run(OsStep.reset, nvmeCli.reset());
  script.run(OsStep.lockAfterReset, nvmeCli.getFeature(BPWP));
  script.run(OsStep.resetDownload, nvmeCli.fwDownload(image));
  script.run(OsStep.resetCommit, commit);
  script.run(OsStep.flr, FLR_COMMAND);
  script.run(OsStep.flrWait, WAIT_FOR_CONTROLLER);
  script.run(OsStep.lockAfterFlr, nvmeCli.getFeature(BPWP));
  script.run(OsStep.flrDownload, nvmeCli.fwDownload(image));
  script.run(OsStep.flrCommit, commit);
  const file = "/tmp/getlog1.bin";
  script.run(
    OsStep.readBp1,
    `${nvmeCli.getLog({ lid: LogPageId.BootPartition, lsp: 1, length: bootPartitionLogSize(bpsz) })} > ${file}`,
  );
  script.result(
    OsStep.readBp1Sha,
    `tail -c +${BOOT_PARTITION_LOG_HEADER_SIZE + 1} ${file} | sha256sum | cut -d' ' -f1`,
  );
  return script;
}

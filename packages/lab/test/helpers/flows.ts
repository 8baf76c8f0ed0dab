/**
 * The guest scripts of the end-to-end tests, built from nvme-cli command lines and
 * @bplab/nvme-spec values. Each step reports under a name the tests read back.
 */
import {
  BOOT_PARTITION_LOG_HEADER_SIZE,
  type BpId,
  BpWriteProtectionState,
  bootPartitionLogSize,
  CommitAction,
  encodeBpWriteProtection,
  FeatureId,
  FeatureSelect,
  LogPageId,
} from "@bplab/nvme-spec";
import { GuestScript } from "../../src/guest-script.js";
import { nvmeCli } from "../../src/nvme-cli.js";

const BPWP = FeatureId.BootPartitionWriteProtection;
const { NoChange, WriteUnlocked, WriteLockedUntilPowerCycle } = BpWriteProtectionState;

/** Set Features 85h values the flow sends: only BP1 changes (BP0 field 000b = no change). */
export const UNLOCK_BP1 = encodeBpWriteProtection({ bp0: NoChange, bp1: WriteUnlocked });
export const LOCK_BP1_UNTIL_POWER_CYCLE = encodeBpWriteProtection({
  bp0: NoChange,
  bp1: WriteLockedUntilPowerCycle,
});

/** Reports the current FID 85h value as NAME (via `bplab_run`, so its output is kept too). */
function getLock(script: GuestScript, name: string, sel: number = FeatureSelect.Current): void {
  script.run(name, nvmeCli.getFeature(BPWP, sel));
}

/** Reads BP `bpid` with Get Log Page 15h; reports NAME.sha (BP bytes) and NAME.header (16 bytes). */
function readBpLog(script: GuestScript, name: string, bpid: BpId, bpsz: number): void {
  const file = `/tmp/${name}.log`;
  script.run(
    name,
    `${nvmeCli.getLog({ lid: LogPageId.BootPartition, lsp: bpid, length: bootPartitionLogSize(bpsz) })} > ${file}`,
  );
  script.result(
    `${name}.sha`,
    `tail -c +${BOOT_PARTITION_LOG_HEADER_SIZE + 1} ${file} | sha256sum | cut -d' ' -f1`,
  );
  script.shell(`head -c ${BOOT_PARTITION_LOG_HEADER_SIZE} ${file} > ${file}.header`);
  script.blob(`${name}.header`, `${file}.header`);
}

/** Downloads `image` and commits it to BP1 (CA=110b); reports NAME.download and NAME.commit. */
function writeBp1(script: GuestScript, name: string, image: string): void {
  script.run(`${name}.download`, nvmeCli.fwDownload(image));
  script.run(`${name}.commit`, nvmeCli.fwCommit({ action: CommitAction.ReplaceBootPartition, bpid: 1 }));
}

/** Boot 1: what the Linux driver and nvme-cli see of the controller. Short enough for the cmdline. */
export function identifyScript(): GuestScript {
  const script = new GuestScript();
  script.run("version", nvmeCli.version());
  script.run("idctrl.json", nvmeCli.idCtrlJson());
  script.run("idctrl.raw", nvmeCli.idCtrlRaw());
  getLock(script, "lock.current");
  getLock(script, "lock.default", FeatureSelect.Default);
  getLock(script, "lock.capabilities", FeatureSelect.SupportedCapabilities);
  return script;
}

/**
 * Boot 2: read both BPs the host wrote, then the lock flow on BP1 with nvme-cli: commit while
 * locked, unlock, commit, read back, lock until power cycle, commit, reset, commit, activate.
 */
export function lockFlowScript(newImage: Uint8Array, bpsz: number): GuestScript {
  const script = new GuestScript();
  const image = script.file("bp1-new.bin", newImage);
  script.run("version", nvmeCli.version());
  script.run("bootpartlog0", nvmeCli.bootPartLog(0, "/tmp/bootpartlog0"));
  script.sha256("bootpartlog0.sha", "/tmp/bootpartlog0");
  script.run("bootpartlog1", nvmeCli.bootPartLog(1, "/tmp/bootpartlog1"));
  script.sha256("bootpartlog1.sha", "/tmp/bootpartlog1");
  readBpLog(script, "getlog0.before", 0, bpsz);
  readBpLog(script, "getlog1.before", 1, bpsz);

  getLock(script, "lock.poweron");
  writeBp1(script, "locked", image);
  script.run("unlock", nvmeCli.setFeature(BPWP, UNLOCK_BP1));
  getLock(script, "lock.unlocked");
  writeBp1(script, "unlocked", image);
  readBpLog(script, "getlog1.after", 1, bpsz);

  script.run("wlupc", nvmeCli.setFeature(BPWP, LOCK_BP1_UNTIL_POWER_CYCLE));
  getLock(script, "lock.wlupc");
  writeBp1(script, "wlupc", image);
  script.run("wlupc.unlock", nvmeCli.setFeature(BPWP, UNLOCK_BP1));

  script.run("reset", nvmeCli.reset());
  getLock(script, "lock.reset");
  writeBp1(script, "reset", image);
  script.run("activate", nvmeCli.fwCommit({ action: CommitAction.ActivateBootPartition, bpid: 1 }));
  return script;
}

/** Boot 3, a new QEMU process on the same bootpart file (a power cycle, MC-42). */
export function powerCycleScript(newImage: Uint8Array, bpsz: number): GuestScript {
  const script = new GuestScript();
  const image = script.file("bp1-new.bin", newImage);
  getLock(script, "lock.poweron");
  readBpLog(script, "getlog0", 0, bpsz);
  readBpLog(script, "getlog1", 1, bpsz);
  writeBp1(script, "locked", image);
  return script;
}

/**
 * `bplab bp init|status|lock|activate`: create a state directory and look at or change the
 * nonvolatile and per-session state of its BPs through the real command set.
 */

import { formatSize } from "@bplab/controller";
import { openStateDir } from "@bplab/controller/storage";
import { formatBrs } from "@bplab/host";
import {
  type BpId,
  bootPartitionSizeBytes,
  bpWriteProtectionCodec,
  CommitAction,
  hexSpec,
  otherBp,
} from "@bplab/nvme-spec";
import type { CliIo } from "../io.js";
import { expectSuccess, lockStateLabel } from "../session.js";
import { withStateDevice } from "./state-device.js";

export interface BpInitOptions {
  state: string;
  bpsz: number;
  namespaceSize?: number;
}

export function bpInit(io: CliIo, options: BpInitOptions): void {
  const state = openStateDir(options.state, {
    create: { bpSizeBytes: options.bpsz, namespaceSizeBytes: options.namespaceSize },
  });
  const { bpSizeBytes } = state.bootPartitions;
  const namespaceBytes = state.namespace.sizeBytes;
  state.close();
  io.out(
    `state directory ${state.path}: two BPs of ${formatSize(bpSizeBytes)} (BPSZ ${bpSizeBytes / bootPartitionSizeBytes(1)}), namespace ${formatSize(namespaceBytes)}\n`,
  );
}

export interface BpStatus {
  stateDir: string;
  bpsz: number;
  bpSizeBytes: number;
  abpid: BpId;
  brs: number;
  locks: { bp0: number; bp1: number };
  fwug: number;
  mdts: number;
  bpcap: number;
}

export async function bpStatus(io: CliIo, options: { state: string; json?: boolean }): Promise<BpStatus> {
  const status = await withStateDevice(options.state, async ({ driver }, state) => {
    const bpinfo = await driver.readBpinfo();
    const identity = await driver.identifyController();
    const locks = await driver.getBpWriteProtection();
    expectSuccess("Get Features 85h", locks);
    return {
      stateDir: state.path,
      bpsz: bpinfo.bpsz,
      bpSizeBytes: bootPartitionSizeBytes(bpinfo.bpsz),
      abpid: bpinfo.abpid as BpId,
      brs: bpinfo.brs,
      locks: { bp0: locks.bp0, bp1: locks.bp1 },
      fwug: identity.fwug,
      mdts: identity.mdts,
      bpcap: identity.bpcap,
    };
  });
  if (options.json) {
    io.out(`${JSON.stringify(status)}\n`);
    return status;
  }
  const rows: [string, string][] = [
    ["state directory", status.stateDir],
    ["BPINFO.BPSZ", `${status.bpsz} (${formatSize(status.bpSizeBytes)} per BP)`],
    ["BPINFO.ABPID", `${status.abpid} (the active BP, nonvolatile)`],
    ["BPINFO.BRS", formatBrs(status.brs)],
    ["BP0 lock", lockStateLabel(status.locks.bp0)],
    ["BP1 lock", lockStateLabel(status.locks.bp1)],
    ["Identify FWUG", hexSpec(status.fwug)],
    ["Identify MDTS", String(status.mdts)],
    ["Identify BPCAP", hexSpec(status.bpcap)],
  ];
  for (const [name, value] of rows) io.out(`${name.padEnd(16)} ${value}\n`);
  io.out(
    "Locks are per process: this invocation powered the device on, so both start Write Locked (MC-41).\n",
  );
  return status;
}

export interface BpLockOptions {
  state: string;
  bp: BpId;
  set: number;
}

/** Set Features 85h for one BP. */
export async function bpLock(io: CliIo, options: BpLockOptions): Promise<void> {
  await withStateDevice(options.state, async ({ driver }) => {
    const outcome = await driver.setBpLock(options.bp, options.set);
    io.out(`Set Features 85h BP${options.bp}WPS=${lockStateLabel(options.set)}: status ${outcome.status}\n`);
    expectSuccess("Set Features 85h", outcome);
    const after = await driver.getBpWriteProtection();
    const states = bpWriteProtectionCodec.decode(after.dw0);
    io.out(`now: BP0 ${lockStateLabel(states.bp0)}, BP1 ${lockStateLabel(states.bp1)}\n`);
    io.out(
      `note: lock states are volatile and this process is the device's whole power-on period; the next bplab invocation starts with both BPs Write Locked (BP${otherBp(options.bp)} was left as it was).\n`,
    );
  });
}

/** Firmware Commit CA=111b: makes BPID the active BP; ABPID is nonvolatile (MC-23). */
export async function bpActivate(io: CliIo, options: { state: string; bp: BpId }): Promise<void> {
  await withStateDevice(options.state, async ({ driver }) => {
    const outcome = await driver.firmwareCommit(CommitAction.ActivateBootPartition, options.bp);
    io.out(`Firmware Commit CA=111b BPID=${options.bp}: status ${outcome.status}\n`);
    expectSuccess("Firmware Commit CA=111b", outcome);
    const { abpid } = await driver.readBpinfo();
    io.out(`BPINFO.ABPID is now ${abpid}\n`);
  });
}

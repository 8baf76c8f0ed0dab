/**
 * One in-process device for one CLI invocation: the controller core over a store, behind the
 * in-process Target, with the host driver attached. Each invocation is a new process, so each
 * session starts at power-on: both BPs Write Locked (MC-41, MC-42).
 */
import type {
  BootPartitionStore,
  ControllerConfig,
  NamespaceStore,
  NvmeController,
  QuirkProfileName,
  QuirkSwitches,
} from "@bplab/controller";
import { NvmeHostDriver, type Transcript } from "@bplab/host";
import { createInProcessTarget, type InProcessTarget } from "@bplab/in-process-target";
import { bpWriteProtectionStateName, formatBpwps } from "@bplab/nvme-spec";
import { CliFailure } from "./errors.js";

export interface DeviceSessionOptions {
  store?: { bootPartitions: BootPartitionStore; namespace?: NamespaceStore };
  bpSizeBytes?: number;
  config?: Partial<ControllerConfig>;
  quirks?: QuirkProfileName | Partial<QuirkSwitches>;
  transcript?: Transcript;
  /** Called with the powered-on controller before the host driver touches it (to subscribe to its trace). */
  beforeAttach?: (controller: NvmeController) => void;
}

export interface DeviceSession {
  readonly target: InProcessTarget;
  readonly controller: NvmeController;
  readonly driver: NvmeHostDriver;
  close(): Promise<void>;
}

export async function openDeviceSession(options: DeviceSessionOptions): Promise<DeviceSession> {
  const target = createInProcessTarget({
    store: options.store,
    bpSizeBytes: options.bpSizeBytes,
    config: options.config,
    quirks: options.quirks,
  });
  options.beforeAttach?.(target.controller);
  const driver = await NvmeHostDriver.attach(
    target,
    options.transcript ? { transcript: options.transcript } : {},
  );
  return {
    target,
    controller: target.controller,
    driver,
    close: () => target.close(),
  };
}

/** "010b Write Locked": the value as the spec writes it, then its name. */
export function lockStateLabel(state: number): string {
  return `${formatBpwps(state)} ${bpWriteProtectionStateName(state)}`;
}

export function lockStatesLine(controller: NvmeController): string {
  const states = controller.getBpLockStates();
  return `BP0 ${lockStateLabel(states.bp0)}, BP1 ${lockStateLabel(states.bp1)}`;
}

/** Throws CliFailure when a command the CLI relies on did not succeed. */
export function expectSuccess(what: string, outcome: { ok: boolean; status: string }): void {
  if (!outcome.ok) throw new CliFailure("CLI_DEVICE_STATUS", `${what} failed with status ${outcome.status}`);
}

/**
 * nvme-cli 2.3 (Debian 12) as the guest runs it: command lines built from @bplab/nvme-spec's
 * named values (option names checked with `--help` of 2.3), and parsers for what it prints.
 *
 * Two defects of Debian 12's nvme-cli 2.3 / libnvme 1.3 matter here:
 *  - `boot-part-log --lsp=N` always reads BP0: libnvme up to 1.6 does not pass the lsp argument
 *    on (linux-nvme/libnvme#734, fixed by #739, merged 2023-10-31, so in 1.7).
 *    `get-log --log-id=0x15 --lsp=N` passes it.
 *  - `boot-part-log` prints its header from the wrong buffer (the address of the log pointer,
 *    linux-nvme/nvme-cli#1996 and the `&bp_log` argument), so "Log ID" and "Boot Partition Size"
 *    on its stdout are garbage; the data file it writes is right.
 */
import {
  BOOT_PARTITION_LOG_HEADER_SIZE,
  type BpId,
  bootPartitionLsp,
  FeatureSelect,
  hexLiteral,
  type NvmeStatus,
  statusFieldCodec,
} from "@bplab/nvme-spec";
import { GuestOutputError, LabBadOptionError } from "./errors.js";

export const NVME_CONTROLLER_DEVICE = "/dev/nvme0";
/** libnvme passes `lsp` to the Boot Partition log from this version on (libnvme#739). */
export const LIBNVME_BOOT_PART_LSP_FIXED: readonly [number, number] = [1, 7];

function checkUint(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new LabBadOptionError(field, "must be a non-negative integer", value);
  return value;
}

/** Command lines for the guest script; every value comes from a named constant or an argument. */
export const nvmeCli = Object.freeze({
  version: () => "nvme version",
  idCtrlJson: (device = NVME_CONTROLLER_DEVICE) => `nvme id-ctrl ${device} --output-format=json`,
  /** The 4096-byte Identify Controller structure on stdout. */
  idCtrlRaw: (device = NVME_CONTROLLER_DEVICE) => `nvme id-ctrl ${device} --raw-binary`,
  getFeature: (fid: number, sel: number = FeatureSelect.Current, device = NVME_CONTROLLER_DEVICE) =>
    `nvme get-feature ${device} --feature-id=${hexLiteral(checkUint("fid", fid), 1)} --sel=${checkUint("sel", sel)}`,
  setFeature: (fid: number, value: number, device = NVME_CONTROLLER_DEVICE) =>
    `nvme set-feature ${device} --feature-id=${hexLiteral(checkUint("fid", fid), 1)} --value=${hexLiteral(checkUint("value", value), 1)}`,
  fwDownload: (file: string, device = NVME_CONTROLLER_DEVICE) => `nvme fw-download ${device} --fw=${file}`,
  fwCommit: (options: { action: number; bpid?: BpId; slot?: number }, device = NVME_CONTROLLER_DEVICE) =>
    `nvme fw-commit ${device} --action=${checkUint("action", options.action)} --bpid=${options.bpid ?? 0}` +
    (options.slot === undefined ? "" : ` --slot=${checkUint("slot", options.slot)}`),
  /** The BP's data (no header) into `outputFile`; see the libnvme lsp defect above. */
  bootPartLog: (bpid: BpId, outputFile: string, device = NVME_CONTROLLER_DEVICE) =>
    `nvme boot-part-log ${device} --lsp=${bootPartitionLsp(bpid)} --output-file=${outputFile}`,
  /** Get Log Page as raw bytes on stdout (for LID 15h: the 16-byte header, then the BP). */
  getLog: (options: { lid: number; lsp?: number; length: number }, device = NVME_CONTROLLER_DEVICE) =>
    `nvme get-log ${device} --log-id=${hexLiteral(checkUint("lid", options.lid), 1)} --lsp=${checkUint("lsp", options.lsp ?? 0)} ` +
    `--log-len=${checkUint("length", options.length)} --raw-binary`,
  /** Controller reset through the kernel (NVME_IOCTL_RESET): CC.EN 1→0→1, a Controller Level Reset. */
  reset: (device = NVME_CONTROLLER_DEVICE) => `nvme reset ${device}`,
});

/** The BP bytes of a raw LID 15h log (drops the 16-byte header). */
export function bootPartitionLogData(log: Uint8Array): Uint8Array {
  return log.subarray(BOOT_PARTITION_LOG_HEADER_SIZE);
}

/** "get-feature:0x85 (Unknown), Current value:0x00000012" → 0x12 (also Default/Saved/capabilities). */
export function parseFeatureValue(stdout: string, name = "get-feature"): number {
  const match = /value:\s*(0x[0-9a-fA-F]+)/.exec(stdout);
  if (!match?.[1]) throw new GuestOutputError(name, `no "value:0x..." in ${JSON.stringify(stdout.trim())}`);
  return Number.parseInt(match[1], 16);
}

export interface NvmeCliStatus extends NvmeStatus {
  /** The 15-bit Status Field as printed (with DNR, More, CRD). */
  readonly field: number;
  /** nvme-cli's text before the number, e.g. "Boot Partition Write Prohibited: The command ...". */
  readonly text: string;
}

/** "NVMe status: Boot Partition Write Prohibited: ...(0x411e)" → the decoded status, if printed. */
export function parseNvmeCliStatus(output: string): NvmeCliStatus | undefined {
  const match = /NVMe status: (.*)\((0x[0-9a-fA-F]+)\)/.exec(output);
  if (!match?.[2]) return undefined;
  const field = Number.parseInt(match[2], 16);
  return { ...statusFieldCodec.decode(field), field, text: (match[1] ?? "").trim() };
}

export interface NvmeCliVersions {
  readonly nvmeCli: string;
  readonly libnvme: string;
}

/** `nvme version` → both versions ("2.3", "1.3"). */
export function parseNvmeVersions(stdout: string): NvmeCliVersions {
  const cli = /nvme version (\S+)/.exec(stdout)?.[1];
  const lib = /libnvme version (\S+)/.exec(stdout)?.[1];
  if (!cli || !lib)
    throw new GuestOutputError("nvme version", `unexpected output ${JSON.stringify(stdout.trim())}`);
  return { nvmeCli: cli, libnvme: lib };
}

/** True when this libnvme's boot-part-log ignores --lsp and always returns BP0 (libnvme#734). */
export function bootPartLogIgnoresLsp(libnvmeVersion: string): boolean {
  const [major = 0, minor = 0] = libnvmeVersion.split(".").map((part) => Number.parseInt(part, 10));
  const [fixedMajor, fixedMinor] = LIBNVME_BOOT_PART_LSP_FIXED;
  return major < fixedMajor || (major === fixedMajor && minor < fixedMinor);
}

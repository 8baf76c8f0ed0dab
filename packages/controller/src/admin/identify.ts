import {
  BPCAP_LAB_DEFAULT,
  BPCAP_LAB_RPMB,
  Cns,
  CommandSetId,
  encodeIdentifyController,
  encodeIdentifyNamespace,
  encodeNamespaceIdDescriptors,
  encodeNamespaceList,
  FRMW_LAB_DEFAULT,
  IDENTIFY_DATA_SIZE,
  LPA_LAB_DEFAULT,
  NamespaceIdType,
  NSID_BROADCAST,
  Oacs,
  Oncs,
  parseIdentify,
  Status,
  type SubmissionQueueEntry,
  Vwc,
} from "@bplab/nvme-spec";
import { type CommandContext, sendToHost } from "../command-context.js";
import { ERROR_LOG_ENTRIES } from "../error-log.js";
import { CRITICAL_COMPOSITE_TEMPERATURE_K, WARNING_COMPOSITE_TEMPERATURE_K } from "../feature-values.js";
import { NAMESPACE_ID, namespaceCount } from "../nvm-io.js";
import { CONTROLLER_VERSION } from "../registers.js";
import { type CommandResult, failure, success } from "../status.js";
import { ABORT_COMMAND_LIMIT } from "./abort.js";
import { ASYNC_EVENT_REQUEST_LIMIT } from "./async-events.js";

/**
 * Identify (06h). CNS 00h/01h/02h/03h, and for the NVM command set (CSI 00h) the CSI-specific
 * 05h/06h/07h a Linux host may ask for. Identify Controller advertises what the model does:
 * OACS.FWDS, FRMW=03h, LPA with LPEDS, FWUG, BPCAP (SFBPWPS=1, RPMBBPWPS per configuration), MDTS.
 */

/** Deallocated logical blocks read as 00h (DLFEAT bits 2:0 = 001b): Dataset Management zeroes them. */
const DLFEAT_READS_ZEROES = 0b001;
/** NVM Command Set specific structures this model fills with zeros: every limit "not reported". */
const EMPTY_IDENTIFY = new Uint8Array(IDENTIFY_DATA_SIZE);
/** NSIDs FFFFFFFEh and FFFFFFFFh cannot start an Active Namespace ID list (Base §5.1.13.2.2). */
const NSID_LIST_START_MAX = NSID_BROADCAST - 2;

export function identify(ctx: CommandContext, sqe: SubmissionQueueEntry): CommandResult {
  const command = parseIdentify(sqe);
  const data = identifyData(ctx, command.cns, command.csi, sqe.nsid);
  if (!(data instanceof Uint8Array)) return data;
  return sendToHost(ctx, sqe, data) ?? success();
}

function identifyData(
  ctx: CommandContext,
  cns: number,
  csi: number,
  nsid: number,
): Uint8Array | CommandResult {
  switch (cns) {
    case Cns.Controller:
      return identifyController(ctx);
    case Cns.Namespace:
      return isActiveNamespace(ctx, nsid) ? identifyNamespace(ctx) : invalidNamespace(nsid);
    case Cns.ActiveNamespaceList:
      return activeNamespaceList(ctx, nsid);
    case Cns.NamespaceIdDescriptorList:
      return isActiveNamespace(ctx, nsid) ? namespaceDescriptors(ctx) : invalidNamespace(nsid);
    case Cns.CsiNamespace:
      if (csi !== CommandSetId.Nvm) return unsupportedCsi(csi);
      return isActiveNamespace(ctx, nsid) ? EMPTY_IDENTIFY : invalidNamespace(nsid);
    case Cns.CsiController:
      return csi === CommandSetId.Nvm ? EMPTY_IDENTIFY : unsupportedCsi(csi);
    case Cns.CsiActiveNamespaceList:
      return csi === CommandSetId.Nvm ? activeNamespaceList(ctx, nsid) : unsupportedCsi(csi);
    default:
      return failure(Status.InvalidField, `CNS ${cns.toString(16).padStart(2, "0")}h is not supported`);
  }
}

export function identifyController(ctx: CommandContext): Uint8Array {
  const { config } = ctx;
  return encodeIdentifyController({
    vid: config.pciVendorId,
    ssvid: config.pciSubsystemVendorId,
    sn: config.serialNumber,
    mn: config.modelNumber,
    fr: config.firmwareRevision,
    mdts: config.mdts,
    ver: CONTROLLER_VERSION,
    // Two Boot Partitions are always present, so firmware download/commit is always supported.
    oacs: Oacs.FirmwareDownload,
    acl: ABORT_COMMAND_LIMIT - 1,
    aerl: ASYNC_EVENT_REQUEST_LIMIT - 1,
    frmw: FRMW_LAB_DEFAULT,
    lpa: LPA_LAB_DEFAULT,
    elpe: ERROR_LOG_ENTRIES - 1,
    wctemp: WARNING_COMPOSITE_TEMPERATURE_K,
    cctemp: CRITICAL_COMPOSITE_TEMPERATURE_K,
    bpcap: config.rpmbProtection.enabled ? BPCAP_LAB_RPMB : BPCAP_LAB_DEFAULT,
    fwug: config.fwug,
    nn: namespaceCount(ctx),
    oncs: Oncs.DatasetManagement | Oncs.WriteZeroes | Oncs.SaveSelect,
    vwc: Vwc.Present | Vwc.FlushBroadcastSupported,
  });
}

function identifyNamespace(ctx: CommandContext): Uint8Array {
  const blocks = BigInt(ctx.namespace!.sizeBytes / ctx.config.lbaSizeBytes);
  return encodeIdentifyNamespace({
    nsze: blocks,
    ncap: blocks,
    nuse: blocks,
    dlfeat: DLFEAT_READS_ZEROES,
    nguid: namespaceGuid(ctx.config.serialNumber),
    nlbaf: 0,
    flbas: 0,
    lbaf: [{ ms: 0, lbads: Math.log2(ctx.config.lbaSizeBytes), rp: 0 }],
  });
}

function activeNamespaceList(ctx: CommandContext, nsid: number): Uint8Array | CommandResult {
  if (nsid > NSID_LIST_START_MAX) return invalidNamespace(nsid);
  return encodeNamespaceList(ctx.namespace && NAMESPACE_ID > nsid ? [NAMESPACE_ID] : []);
}

function namespaceDescriptors(ctx: CommandContext): Uint8Array {
  return encodeNamespaceIdDescriptors([
    { nidt: NamespaceIdType.Nguid, nid: namespaceGuid(ctx.config.serialNumber) },
    { nidt: NamespaceIdType.Csi, nid: Uint8Array.of(CommandSetId.Nvm) },
  ]);
}

function isActiveNamespace(ctx: CommandContext, nsid: number): boolean {
  return ctx.namespace !== undefined && nsid === NAMESPACE_ID;
}

function invalidNamespace(nsid: number): CommandResult {
  return failure(Status.InvalidNamespaceOrFormat, `NSID=${nsid} is not an active namespace`);
}

function unsupportedCsi(csi: number): CommandResult {
  return failure(
    Status.InvalidField,
    `CSI ${csi.toString(16).padStart(2, "0")}h is not a supported command set`,
  );
}

/** Bytes in an NGUID. */
const NGUID_BYTES = 16;
/** FNV-1a 32-bit parameters: a stable, dependency-free hash so the NGUID follows the serial. */
const FNV_OFFSET_BASIS = 0x811c_9dc5;
const FNV_PRIME = 0x0100_0193;
const BYTE_MASK = 0xff;
const BYTE_BITS = 8;
/** Bytes taken from each 32-bit hash value, in turn. */
const HASH_BYTES = 4;

/** A namespace GUID derived from the serial number, so two controllers with one serial agree. */
export function namespaceGuid(serialNumber: string): Uint8Array {
  const guid = new Uint8Array(NGUID_BYTES);
  let hash = FNV_OFFSET_BASIS;
  for (let index = 0; index < NGUID_BYTES; index++) {
    const text = `${serialNumber}#${index}`;
    for (let char = 0; char < text.length; char++) {
      hash = Math.imul(hash ^ text.charCodeAt(char), FNV_PRIME) >>> 0;
    }
    guid[index] = (hash >>> ((index % HASH_BYTES) * BYTE_BITS)) & BYTE_MASK;
  }
  return guid;
}

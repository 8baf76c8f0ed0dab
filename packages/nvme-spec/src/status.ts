import { hexSpec } from "./format.js";
import { dwordCodec, type Fields, flag, uint } from "./layout.js";

/**
 * Status codes (Base 2.1 §4.2.3, "Status Field Definition"). A status is SCT + SC; the 15-bit
 * Status Field of a completion also carries CRD, More and DNR.
 */

/** SCT: Status Code Type, 3 bits (§4.2.3, Fig. 100). */
export const StatusCodeType = Object.freeze({
  Generic: 0,
  CommandSpecific: 1,
  MediaAndDataIntegrity: 2,
  PathRelated: 3,
  VendorSpecific: 7,
});

export type StatusCode = { readonly sct: number; readonly sc: number };

/**
 * The 15-bit Status Field of a CQE (DW3 bits 31:17 shifted down by 17), without the phase tag.
 * SC/SCT/CRD/M/DNR as in §4.2.3, Fig. 99.
 */
export const STATUS_FIELD_LAYOUT = Object.freeze({
  /** bits 7:0 SC: status code (CQE DW3 24:17) (§4.2.3) */
  sc: uint(7, 0),
  /** bits 10:8 SCT: status code type (CQE DW3 27:25) (§4.2.3) */
  sct: uint(10, 8),
  /** bits 12:11 CRD: command retry delay, index into CRDT1-3, 0 = none (§4.2.3) */
  crd: uint(12, 11),
  /** bit 13 M (More): more status in the Error Information log (§4.2.3) */
  more: flag(13),
  /** bit 14 DNR: do not retry (§4.2.3) */
  dnr: flag(14),
});

export type NvmeStatus = Fields<typeof STATUS_FIELD_LAYOUT>;

export const statusFieldCodec = dwordCodec("status", STATUS_FIELD_LAYOUT);

function code(sct: number, sc: number): StatusCode {
  return Object.freeze({ sct, sc });
}

const G = StatusCodeType.Generic;
const C = StatusCodeType.CommandSpecific;
const M = StatusCodeType.MediaAndDataIntegrity;
const P = StatusCodeType.PathRelated;

/**
 * Named status codes. Generic: §4.2.3.1 (Fig. 101/102); command specific: §4.2.3.2 (Fig. 103);
 * media and data integrity: §4.2.3.3; path related: §4.2.3.4. Names follow the spec text.
 */
export const Status = Object.freeze({
  // Generic command status (SCT 0h)
  Success: code(G, 0x00),
  InvalidOpcode: code(G, 0x01),
  InvalidField: code(G, 0x02),
  CommandIdConflict: code(G, 0x03),
  DataTransferError: code(G, 0x04),
  AbortedPowerLoss: code(G, 0x05),
  InternalError: code(G, 0x06),
  CommandAbortRequested: code(G, 0x07),
  AbortedSqDeletion: code(G, 0x08),
  AbortedFailedFused: code(G, 0x09),
  AbortedMissingFused: code(G, 0x0a),
  InvalidNamespaceOrFormat: code(G, 0x0b),
  CommandSequenceError: code(G, 0x0c),
  InvalidSglSegmentDescriptor: code(G, 0x0d),
  InvalidNumberOfSglDescriptors: code(G, 0x0e),
  DataSglLengthInvalid: code(G, 0x0f),
  MetadataSglLengthInvalid: code(G, 0x10),
  SglDescriptorTypeInvalid: code(G, 0x11),
  InvalidUseOfControllerMemoryBuffer: code(G, 0x12),
  InvalidPrpOffset: code(G, 0x13),
  AtomicWriteUnitExceeded: code(G, 0x14),
  OperationDenied: code(G, 0x15),
  SglOffsetInvalid: code(G, 0x16),
  HostIdentifierInconsistentFormat: code(G, 0x18),
  KeepAliveTimerExpired: code(G, 0x19),
  KeepAliveTimeoutInvalid: code(G, 0x1a),
  AbortedPreemptAndAbort: code(G, 0x1b),
  SanitizeFailed: code(G, 0x1c),
  SanitizeInProgress: code(G, 0x1d),
  SglDataBlockGranularityInvalid: code(G, 0x1e),
  CommandNotSupportedForQueueInCmb: code(G, 0x1f),
  NamespaceWriteProtected: code(G, 0x20),
  CommandInterrupted: code(G, 0x21),
  TransientTransportError: code(G, 0x22),
  CommandProhibitedByLockdown: code(G, 0x23),
  AdminCommandMediaNotReady: code(G, 0x24),
  LbaOutOfRange: code(G, 0x80),
  CapacityExceeded: code(G, 0x81),
  NamespaceNotReady: code(G, 0x82),
  ReservationConflict: code(G, 0x83),
  FormatInProgress: code(G, 0x84),

  // Command specific status (SCT 1h)
  CompletionQueueInvalid: code(C, 0x00),
  InvalidQueueIdentifier: code(C, 0x01),
  InvalidQueueSize: code(C, 0x02),
  AbortCommandLimitExceeded: code(C, 0x03),
  AsyncEventRequestLimitExceeded: code(C, 0x05),
  InvalidFirmwareSlot: code(C, 0x06),
  InvalidFirmwareImage: code(C, 0x07),
  InvalidInterruptVector: code(C, 0x08),
  InvalidLogPage: code(C, 0x09),
  InvalidFormat: code(C, 0x0a),
  FirmwareActivationRequiresConventionalReset: code(C, 0x0b),
  InvalidQueueDeletion: code(C, 0x0c),
  FeatureIdentifierNotSaveable: code(C, 0x0d),
  FeatureNotChangeable: code(C, 0x0e),
  FeatureNotNamespaceSpecific: code(C, 0x0f),
  FirmwareActivationRequiresNvmSubsystemReset: code(C, 0x10),
  FirmwareActivationRequiresControllerLevelReset: code(C, 0x11),
  FirmwareActivationRequiresMaximumTimeViolation: code(C, 0x12),
  FirmwareActivationProhibited: code(C, 0x13),
  OverlappingRange: code(C, 0x14),
  NamespaceInsufficientCapacity: code(C, 0x15),
  NamespaceIdentifierUnavailable: code(C, 0x16),
  NamespaceAlreadyAttached: code(C, 0x18),
  NamespaceIsPrivate: code(C, 0x19),
  NamespaceNotAttached: code(C, 0x1a),
  ThinProvisioningNotSupported: code(C, 0x1b),
  ControllerListInvalid: code(C, 0x1c),
  DeviceSelfTestInProgress: code(C, 0x1d),
  BootPartitionWriteProhibited: code(C, 0x1e),
  InvalidControllerIdentifier: code(C, 0x1f),
  InvalidSecondaryControllerState: code(C, 0x20),
  InvalidNumberOfControllerResources: code(C, 0x21),
  InvalidResourceIdentifier: code(C, 0x22),
  SanitizeProhibitedWhilePmrEnabled: code(C, 0x23),
  AnaGroupIdentifierInvalid: code(C, 0x24),
  AnaAttachFailed: code(C, 0x25),
  ConflictingAttributes: code(C, 0x80),
  InvalidProtectionInformation: code(C, 0x81),
  AttemptedWriteToReadOnlyRange: code(C, 0x82),

  // Media and data integrity errors (SCT 2h)
  WriteFault: code(M, 0x80),
  UnrecoveredReadError: code(M, 0x81),
  EndToEndGuardCheckError: code(M, 0x82),
  EndToEndApplicationTagCheckError: code(M, 0x83),
  EndToEndReferenceTagCheckError: code(M, 0x84),
  CompareFailure: code(M, 0x85),
  AccessDenied: code(M, 0x86),
  DeallocatedOrUnwrittenLogicalBlock: code(M, 0x87),

  // Path related status (SCT 3h)
  InternalPathError: code(P, 0x00),
  AsymmetricAccessPersistentLoss: code(P, 0x01),
  AsymmetricAccessInaccessible: code(P, 0x02),
  AsymmetricAccessTransition: code(P, 0x03),
  ControllerPathingError: code(P, 0x60),
  HostPathingError: code(P, 0x70),
  CommandAbortedByHost: code(P, 0x71),
});

export type StatusName = keyof typeof Status;

/** The spec's wording for each code, used by describe() and test failures. */
export const STATUS_TEXT: Readonly<Record<StatusName, string>> = Object.freeze({
  Success: "Successful Completion",
  InvalidOpcode: "Invalid Command Opcode",
  InvalidField: "Invalid Field in Command",
  CommandIdConflict: "Command ID Conflict",
  DataTransferError: "Data Transfer Error",
  AbortedPowerLoss: "Commands Aborted due to Power Loss Notification",
  InternalError: "Internal Error",
  CommandAbortRequested: "Command Abort Requested",
  AbortedSqDeletion: "Command Aborted due to SQ Deletion",
  AbortedFailedFused: "Command Aborted due to Failed Fused Command",
  AbortedMissingFused: "Command Aborted due to Missing Fused Command",
  InvalidNamespaceOrFormat: "Invalid Namespace or Format",
  CommandSequenceError: "Command Sequence Error",
  InvalidSglSegmentDescriptor: "Invalid SGL Segment Descriptor",
  InvalidNumberOfSglDescriptors: "Invalid Number of SGL Descriptors",
  DataSglLengthInvalid: "Data SGL Length Invalid",
  MetadataSglLengthInvalid: "Metadata SGL Length Invalid",
  SglDescriptorTypeInvalid: "SGL Descriptor Type Invalid",
  InvalidUseOfControllerMemoryBuffer: "Invalid Use of Controller Memory Buffer",
  InvalidPrpOffset: "PRP Offset Invalid",
  AtomicWriteUnitExceeded: "Atomic Write Unit Exceeded",
  OperationDenied: "Operation Denied",
  SglOffsetInvalid: "SGL Offset Invalid",
  HostIdentifierInconsistentFormat: "Host Identifier Inconsistent Format",
  KeepAliveTimerExpired: "Keep Alive Timer Expired",
  KeepAliveTimeoutInvalid: "Keep Alive Timeout Invalid",
  AbortedPreemptAndAbort: "Command Aborted due to Preempt and Abort",
  SanitizeFailed: "Sanitize Failed",
  SanitizeInProgress: "Sanitize In Progress",
  SglDataBlockGranularityInvalid: "SGL Data Block Granularity Invalid",
  CommandNotSupportedForQueueInCmb: "Command Not Supported for Queue in CMB",
  NamespaceWriteProtected: "Namespace is Write Protected",
  CommandInterrupted: "Command Interrupted",
  TransientTransportError: "Transient Transport Error",
  CommandProhibitedByLockdown: "Command Prohibited by Command and Feature Lockdown",
  AdminCommandMediaNotReady: "Admin Command Media Not Ready",
  LbaOutOfRange: "LBA Out of Range",
  CapacityExceeded: "Capacity Exceeded",
  NamespaceNotReady: "Namespace Not Ready",
  ReservationConflict: "Reservation Conflict",
  FormatInProgress: "Format In Progress",
  CompletionQueueInvalid: "Completion Queue Invalid",
  InvalidQueueIdentifier: "Invalid Queue Identifier",
  InvalidQueueSize: "Invalid Queue Size",
  AbortCommandLimitExceeded: "Abort Command Limit Exceeded",
  AsyncEventRequestLimitExceeded: "Asynchronous Event Request Limit Exceeded",
  InvalidFirmwareSlot: "Invalid Firmware Slot",
  InvalidFirmwareImage: "Invalid Firmware Image",
  InvalidInterruptVector: "Invalid Interrupt Vector",
  InvalidLogPage: "Invalid Log Page",
  InvalidFormat: "Invalid Format",
  FirmwareActivationRequiresConventionalReset: "Firmware Activation Requires Conventional Reset",
  InvalidQueueDeletion: "Invalid Queue Deletion",
  FeatureIdentifierNotSaveable: "Feature Identifier Not Saveable",
  FeatureNotChangeable: "Feature Not Changeable",
  FeatureNotNamespaceSpecific: "Feature Not Namespace Specific",
  FirmwareActivationRequiresNvmSubsystemReset: "Firmware Activation Requires NVM Subsystem Reset",
  FirmwareActivationRequiresControllerLevelReset: "Firmware Activation Requires Controller Level Reset",
  FirmwareActivationRequiresMaximumTimeViolation: "Firmware Activation Requires Maximum Time Violation",
  FirmwareActivationProhibited: "Firmware Activation Prohibited",
  OverlappingRange: "Overlapping Range",
  NamespaceInsufficientCapacity: "Namespace Insufficient Capacity",
  NamespaceIdentifierUnavailable: "Namespace Identifier Unavailable",
  NamespaceAlreadyAttached: "Namespace Already Attached",
  NamespaceIsPrivate: "Namespace Is Private",
  NamespaceNotAttached: "Namespace Not Attached",
  ThinProvisioningNotSupported: "Thin Provisioning Not Supported",
  ControllerListInvalid: "Controller List Invalid",
  DeviceSelfTestInProgress: "Device Self-test In Progress",
  BootPartitionWriteProhibited: "Boot Partition Write Prohibited",
  InvalidControllerIdentifier: "Invalid Controller Identifier",
  InvalidSecondaryControllerState: "Invalid Secondary Controller State",
  InvalidNumberOfControllerResources: "Invalid Number of Controller Resources",
  InvalidResourceIdentifier: "Invalid Resource Identifier",
  SanitizeProhibitedWhilePmrEnabled: "Sanitize Prohibited While Persistent Memory Region is Enabled",
  AnaGroupIdentifierInvalid: "ANA Group Identifier Invalid",
  AnaAttachFailed: "ANA Attach Failed",
  ConflictingAttributes: "Conflicting Attributes",
  InvalidProtectionInformation: "Invalid Protection Information",
  AttemptedWriteToReadOnlyRange: "Attempted Write to Read Only Range",
  WriteFault: "Write Fault",
  UnrecoveredReadError: "Unrecovered Read Error",
  EndToEndGuardCheckError: "End-to-end Guard Check Error",
  EndToEndApplicationTagCheckError: "End-to-end Application Tag Check Error",
  EndToEndReferenceTagCheckError: "End-to-end Reference Tag Check Error",
  CompareFailure: "Compare Failure",
  AccessDenied: "Access Denied",
  DeallocatedOrUnwrittenLogicalBlock: "Deallocated or Unwritten Logical Block",
  InternalPathError: "Internal Path Error",
  AsymmetricAccessPersistentLoss: "Asymmetric Access Persistent Loss",
  AsymmetricAccessInaccessible: "Asymmetric Access Inaccessible",
  AsymmetricAccessTransition: "Asymmetric Access Transition",
  ControllerPathingError: "Controller Pathing Error",
  HostPathingError: "Host Pathing Error",
  CommandAbortedByHost: "Command Aborted By Host",
});

const STATUS_BY_KEY = new Map<number, StatusName>();
for (const [name, status] of Object.entries(Status)) {
  STATUS_BY_KEY.set(statusKey(status), name as StatusName);
}

function statusKey({ sct, sc }: StatusCode): number {
  return sct * 0x100 + sc;
}

/** The Status map key for an SCT/SC pair, or undefined when the pair has no name here. */
export function statusKeyName(status: StatusCode): StatusName | undefined {
  return STATUS_BY_KEY.get(statusKey(status));
}

/** "SCT 1h / SC 1Eh", the form test failures and the CLI print. */
export function formatStatusCode({ sct, sc }: StatusCode): string {
  return `SCT ${hexSpec(sct, 1)} / SC ${hexSpec(sc)}`;
}

/**
 * "1h/1Eh": SCT/SC in the short form the host transcript, the CLI, scenario observations and
 * docs/model-choices.md use (formatStatusCode is the long form for messages).
 */
export function formatStatus({ sct, sc }: StatusCode): string {
  // A status field holds a 3-bit SCT and an 8-bit SC: those 2 Ki texts are made once each, since
  // a host formats one per completion (issue 13). Anything else is formatted as it comes.
  const isStatusField =
    Number.isInteger(sct) && Number.isInteger(sc) && sct >= 0 && sct <= 7 && sc >= 0 && sc <= 0xff;
  if (!isStatusField) return spellStatus(sct, sc);
  const key = (sct << 8) | sc;
  statusTexts[key] ??= spellStatus(sct, sc);
  return statusTexts[key];
}
const statusTexts: (string | undefined)[] = [];
const spellStatus = (sct: number, sc: number) => `${hexSpec(sct, 1)}/${hexSpec(sc)}`;

/** The spec name of a status, e.g. "Boot Partition Write Prohibited"; unknown pairs get a generic label. */
export function statusName(status: StatusCode): string {
  const name = statusKeyName(status);
  if (name !== undefined) return STATUS_TEXT[name];
  if (status.sct === StatusCodeType.VendorSpecific) return "Vendor Specific";
  return "Unknown Status";
}

export function isSuccess(status: StatusCode): boolean {
  return status.sct === StatusCodeType.Generic && status.sc === Status.Success.sc;
}

export function isSameStatus(a: StatusCode, b: StatusCode): boolean {
  return a.sct === b.sct && a.sc === b.sc;
}

/** A complete NvmeStatus for a code, with CRD 0, More 0 and DNR as given. */
export function toNvmeStatus(
  status: StatusCode,
  options: { dnr?: boolean; more?: boolean; crd?: number } = {},
): NvmeStatus {
  return {
    sct: status.sct,
    sc: status.sc,
    crd: options.crd ?? 0,
    more: options.more ?? false,
    dnr: options.dnr ?? false,
  };
}

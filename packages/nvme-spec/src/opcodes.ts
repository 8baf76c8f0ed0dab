import { nameOrHex } from "./format.js";
/** Admin command opcodes (Base 2.1 §5, Fig. 28 "Opcodes for Admin Commands"). */
export const AdminOpcode = Object.freeze({
  DeleteIoSq: 0x00,
  CreateIoSq: 0x01,
  GetLogPage: 0x02,
  DeleteIoCq: 0x04,
  CreateIoCq: 0x05,
  Identify: 0x06,
  Abort: 0x08,
  SetFeatures: 0x09,
  GetFeatures: 0x0a,
  AsyncEventRequest: 0x0c,
  NamespaceManagement: 0x0d,
  FirmwareCommit: 0x10,
  FirmwareImageDownload: 0x11,
  DeviceSelfTest: 0x14,
  NamespaceAttachment: 0x15,
  KeepAlive: 0x18,
  DirectiveSend: 0x19,
  DirectiveReceive: 0x1a,
  VirtualizationManagement: 0x1c,
  NvmeMiSend: 0x1d,
  NvmeMiReceive: 0x1e,
  DoorbellBufferConfig: 0x7c,
  FormatNvm: 0x80,
  SecuritySend: 0x81,
  SecurityReceive: 0x82,
  Sanitize: 0x84,
  GetLbaStatus: 0x86,
});

/** NVM command set I/O opcodes (NVM Command Set 1.1 §3, Fig. 16). */
export const NvmOpcode = Object.freeze({
  Flush: 0x00,
  Write: 0x01,
  Read: 0x02,
  WriteUncorrectable: 0x04,
  Compare: 0x05,
  WriteZeroes: 0x08,
  DatasetManagement: 0x09,
  Verify: 0x0c,
  ReservationRegister: 0x0d,
  ReservationReport: 0x0e,
  ReservationAcquire: 0x11,
  ReservationRelease: 0x15,
  Copy: 0x19,
});

/** Spec names of the admin opcodes, for traces and describe(). */
export const ADMIN_OPCODE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [AdminOpcode.DeleteIoSq]: "Delete I/O Submission Queue",
  [AdminOpcode.CreateIoSq]: "Create I/O Submission Queue",
  [AdminOpcode.GetLogPage]: "Get Log Page",
  [AdminOpcode.DeleteIoCq]: "Delete I/O Completion Queue",
  [AdminOpcode.CreateIoCq]: "Create I/O Completion Queue",
  [AdminOpcode.Identify]: "Identify",
  [AdminOpcode.Abort]: "Abort",
  [AdminOpcode.SetFeatures]: "Set Features",
  [AdminOpcode.GetFeatures]: "Get Features",
  [AdminOpcode.AsyncEventRequest]: "Asynchronous Event Request",
  [AdminOpcode.NamespaceManagement]: "Namespace Management",
  [AdminOpcode.FirmwareCommit]: "Firmware Commit",
  [AdminOpcode.FirmwareImageDownload]: "Firmware Image Download",
  [AdminOpcode.DeviceSelfTest]: "Device Self-test",
  [AdminOpcode.NamespaceAttachment]: "Namespace Attachment",
  [AdminOpcode.KeepAlive]: "Keep Alive",
  [AdminOpcode.DirectiveSend]: "Directive Send",
  [AdminOpcode.DirectiveReceive]: "Directive Receive",
  [AdminOpcode.VirtualizationManagement]: "Virtualization Management",
  [AdminOpcode.NvmeMiSend]: "NVMe-MI Send",
  [AdminOpcode.NvmeMiReceive]: "NVMe-MI Receive",
  [AdminOpcode.DoorbellBufferConfig]: "Doorbell Buffer Config",
  [AdminOpcode.FormatNvm]: "Format NVM",
  [AdminOpcode.SecuritySend]: "Security Send",
  [AdminOpcode.SecurityReceive]: "Security Receive",
  [AdminOpcode.Sanitize]: "Sanitize",
  [AdminOpcode.GetLbaStatus]: "Get LBA Status",
});

export const NVM_OPCODE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [NvmOpcode.Flush]: "Flush",
  [NvmOpcode.Write]: "Write",
  [NvmOpcode.Read]: "Read",
  [NvmOpcode.WriteUncorrectable]: "Write Uncorrectable",
  [NvmOpcode.Compare]: "Compare",
  [NvmOpcode.WriteZeroes]: "Write Zeroes",
  [NvmOpcode.DatasetManagement]: "Dataset Management",
  [NvmOpcode.Verify]: "Verify",
  [NvmOpcode.ReservationRegister]: "Reservation Register",
  [NvmOpcode.ReservationReport]: "Reservation Report",
  [NvmOpcode.ReservationAcquire]: "Reservation Acquire",
  [NvmOpcode.ReservationRelease]: "Reservation Release",
  [NvmOpcode.Copy]: "Copy",
});

/** Name of an opcode in the admin or the NVM command set; unknown ones print as hex. */
export function opcodeName(opcode: number, admin: boolean): string {
  return admin
    ? nameOrHex(ADMIN_OPCODE_NAMES, opcode, "Admin opcode")
    : nameOrHex(NVM_OPCODE_NAMES, opcode, "I/O opcode");
}

import { nameOrHex } from "../format.js";
/** Log Page Identifiers (Base 2.1 §5.1.12.1, Fig. 202 "Log Page Identifiers"). */
export const LogPageId = Object.freeze({
  SupportedLogPages: 0x00,
  ErrorInformation: 0x01,
  SmartHealth: 0x02,
  FirmwareSlot: 0x03,
  ChangedNamespaceList: 0x04,
  CommandsSupportedAndEffects: 0x05,
  DeviceSelfTest: 0x06,
  TelemetryHostInitiated: 0x07,
  TelemetryControllerInitiated: 0x08,
  FeatureIdentifiersSupportedAndEffects: 0x12,
  BootPartition: 0x15,
});

export const LOG_PAGE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [LogPageId.SupportedLogPages]: "Supported Log Pages",
  [LogPageId.ErrorInformation]: "Error Information",
  [LogPageId.SmartHealth]: "SMART / Health Information",
  [LogPageId.FirmwareSlot]: "Firmware Slot Information",
  [LogPageId.ChangedNamespaceList]: "Changed Namespace List",
  [LogPageId.CommandsSupportedAndEffects]: "Commands Supported and Effects",
  [LogPageId.DeviceSelfTest]: "Device Self-test",
  [LogPageId.TelemetryHostInitiated]: "Telemetry Host-Initiated",
  [LogPageId.TelemetryControllerInitiated]: "Telemetry Controller-Initiated",
  [LogPageId.FeatureIdentifiersSupportedAndEffects]: "Feature Identifiers Supported and Effects",
  [LogPageId.BootPartition]: "Boot Partition",
});

export function logPageName(lid: number): string {
  return nameOrHex(LOG_PAGE_NAMES, lid, "Log Page");
}

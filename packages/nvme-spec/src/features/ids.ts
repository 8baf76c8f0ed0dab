import { nameOrHex } from "../format.js";
import { dwordCodec, type Fields, flag } from "../layout.js";

/** Feature Identifiers (Base 2.1 §5.1.25.1, Fig. 385 "Feature Identifiers"). */
export const FeatureId = Object.freeze({
  Arbitration: 0x01,
  PowerManagement: 0x02,
  LbaRangeType: 0x03,
  TemperatureThreshold: 0x04,
  ErrorRecovery: 0x05,
  VolatileWriteCache: 0x06,
  NumberOfQueues: 0x07,
  InterruptCoalescing: 0x08,
  InterruptVectorConfiguration: 0x09,
  WriteAtomicityNormal: 0x0a,
  AsyncEventConfig: 0x0b,
  AutonomousPowerStateTransition: 0x0c,
  HostMemoryBuffer: 0x0d,
  Timestamp: 0x0e,
  KeepAliveTimer: 0x0f,
  HostControlledThermalManagement: 0x10,
  /** 11h is Non-Operational Power State Config, NOT BP write protection (docs/spec/boot-partitions.md §8.1) */
  NonOperationalPowerStateConfig: 0x11,
  SoftwareProgressMarker: 0x80,
  HostIdentifier: 0x81,
  ReservationNotificationMask: 0x82,
  ReservationPersistence: 0x83,
  NamespaceWriteProtectionConfig: 0x84,
  BootPartitionWriteProtection: 0x85,
});

export const FEATURE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [FeatureId.Arbitration]: "Arbitration",
  [FeatureId.PowerManagement]: "Power Management",
  [FeatureId.LbaRangeType]: "LBA Range Type",
  [FeatureId.TemperatureThreshold]: "Temperature Threshold",
  [FeatureId.ErrorRecovery]: "Error Recovery",
  [FeatureId.VolatileWriteCache]: "Volatile Write Cache",
  [FeatureId.NumberOfQueues]: "Number of Queues",
  [FeatureId.InterruptCoalescing]: "Interrupt Coalescing",
  [FeatureId.InterruptVectorConfiguration]: "Interrupt Vector Configuration",
  [FeatureId.WriteAtomicityNormal]: "Write Atomicity Normal",
  [FeatureId.AsyncEventConfig]: "Asynchronous Event Configuration",
  [FeatureId.AutonomousPowerStateTransition]: "Autonomous Power State Transition",
  [FeatureId.HostMemoryBuffer]: "Host Memory Buffer",
  [FeatureId.Timestamp]: "Timestamp",
  [FeatureId.KeepAliveTimer]: "Keep Alive Timer",
  [FeatureId.HostControlledThermalManagement]: "Host Controlled Thermal Management",
  [FeatureId.NonOperationalPowerStateConfig]: "Non-Operational Power State Config",
  [FeatureId.SoftwareProgressMarker]: "Software Progress Marker",
  [FeatureId.HostIdentifier]: "Host Identifier",
  [FeatureId.ReservationNotificationMask]: "Reservation Notification Mask",
  [FeatureId.ReservationPersistence]: "Reservation Persistence",
  [FeatureId.NamespaceWriteProtectionConfig]: "Namespace Write Protection Config",
  [FeatureId.BootPartitionWriteProtection]: "Boot Partition Write Protection Config",
});

export function featureName(fid: number): string {
  return nameOrHex(FEATURE_NAMES, fid, "Feature");
}

/** Get Features CDW10.SEL values (§5.1.11, Fig. 194); 100b-111b are reserved. */
export const FeatureSelect = Object.freeze({
  Current: 0b000,
  Default: 0b001,
  Saved: 0b010,
  SupportedCapabilities: 0b011,
});
/** Largest SEL value that is not reserved. */
export const FEATURE_SELECT_MAX = FeatureSelect.SupportedCapabilities;

export const FEATURE_SELECT_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [FeatureSelect.Current]: "current",
  [FeatureSelect.Default]: "default",
  [FeatureSelect.Saved]: "saved",
  [FeatureSelect.SupportedCapabilities]: "supported capabilities",
});

/** Completion DW0 of a Get Features with SEL=011b (§5.1.11, Fig. 196). */
export const FEATURE_CAPABILITIES_LAYOUT = Object.freeze({
  /** bit 0: the feature is saveable */
  saveable: flag(0),
  /** bit 1: the feature is namespace specific */
  namespaceSpecific: flag(1),
  /** bit 2: the feature is changeable */
  changeable: flag(2),
});
export type FeatureCapabilities = Fields<typeof FEATURE_CAPABILITIES_LAYOUT>;
export const featureCapabilitiesCodec = dwordCodec("FeatureCapabilities", FEATURE_CAPABILITIES_LAYOUT);

/** Capability bit masks, for code that composes DW0 directly. */
export const FeatureCapability = Object.freeze({
  Saveable: 1 << 0,
  NamespaceSpecific: 1 << 1,
  Changeable: 1 << 2,
});

import { BufferReader } from "../buffer-reader.js";
import { BufferWriter } from "../buffer-writer.js";
import {
  checkEntryCount,
  readStruct,
  type StructValues,
  u8,
  u16,
  u32,
  u128,
  writeStruct,
} from "../struct.js";

/** LID 02h SMART / Health Information, 512 bytes (Base 2.1 §5.1.12.1.3, Fig. 207). */
export const SMART_HEALTH_LOG_SIZE = 512;

export const SMART_HEALTH_LAYOUT = Object.freeze({
  /** byte 0 Critical Warning: bit flags, see SmartCriticalWarning */
  criticalWarning: u8(0),
  /** bytes 2:1 Composite Temperature: kelvin */
  compositeTemperature: u16(1),
  /** byte 3 Available Spare: percent */
  availableSpare: u8(3),
  /** byte 4 Available Spare Threshold: percent */
  availableSpareThreshold: u8(4),
  /** byte 5 Percentage Used: percent of life used, may exceed 100 */
  percentageUsed: u8(5),
  /** byte 6 Endurance Group Critical Warning Summary */
  enduranceGroupCriticalWarning: u8(6),
  /** bytes 47:32 Data Units Read: thousands of 512-byte units */
  dataUnitsRead: u128(32),
  /** bytes 63:48 Data Units Written: thousands of 512-byte units */
  dataUnitsWritten: u128(48),
  /** bytes 79:64 Host Read Commands */
  hostReadCommands: u128(64),
  /** bytes 95:80 Host Write Commands */
  hostWriteCommands: u128(80),
  /** bytes 111:96 Controller Busy Time: minutes */
  controllerBusyTime: u128(96),
  /** bytes 127:112 Power Cycles */
  powerCycles: u128(112),
  /** bytes 143:128 Power On Hours */
  powerOnHours: u128(128),
  /** bytes 159:144 Unsafe Shutdowns */
  unsafeShutdowns: u128(144),
  /** bytes 175:160 Media and Data Integrity Errors */
  mediaErrors: u128(160),
  /** bytes 191:176 Number of Error Information Log Entries */
  errorLogEntries: u128(176),
  /** bytes 195:192 Warning Composite Temperature Time: minutes */
  warningTemperatureTime: u32(192),
  /** bytes 199:196 Critical Composite Temperature Time: minutes */
  criticalTemperatureTime: u32(196),
  // bytes 215:200 Temperature Sensors 1-8 are an array, see temperatureSensors below
  /** bytes 219:216 Thermal Management Temperature 1 Transition Count */
  thermalMgmtTemp1TransitionCount: u32(216),
  /** bytes 223:220 Thermal Management Temperature 2 Transition Count */
  thermalMgmtTemp2TransitionCount: u32(220),
  /** bytes 227:224 Total Time For Thermal Management Temperature 1: seconds */
  thermalMgmtTemp1TotalTime: u32(224),
  /** bytes 231:228 Total Time For Thermal Management Temperature 2: seconds */
  thermalMgmtTemp2TotalTime: u32(228),
});

/** Temperature Sensor n (1-8) at bytes 200 + 2(n-1), kelvin, 0 = not implemented. */
export const TEMPERATURE_SENSORS_OFFSET = 200;
export const TEMPERATURE_SENSOR_COUNT = 8;
const SENSOR_BYTES = 2;

export type SmartHealthLog = StructValues<typeof SMART_HEALTH_LAYOUT> & {
  /** Temperature Sensors 1-8, kelvin; always 8 entries */
  temperatureSensors: number[];
};

/** Critical Warning bits (byte 0). */
export const SmartCriticalWarning = Object.freeze({
  AvailableSpare: 1 << 0,
  Temperature: 1 << 1,
  Reliability: 1 << 2,
  ReadOnly: 1 << 3,
  VolatileBackupFailed: 1 << 4,
  PersistentMemoryRegionReadOnly: 1 << 5,
});

/** An all-zero log at room temperature (293 K), full spare: what a new lab device reports. */
export const SMART_HEALTH_DEFAULTS: Readonly<SmartHealthLog> = Object.freeze({
  criticalWarning: 0,
  compositeTemperature: 293,
  availableSpare: 100,
  availableSpareThreshold: 10,
  percentageUsed: 0,
  enduranceGroupCriticalWarning: 0,
  dataUnitsRead: 0n,
  dataUnitsWritten: 0n,
  hostReadCommands: 0n,
  hostWriteCommands: 0n,
  controllerBusyTime: 0n,
  powerCycles: 0n,
  powerOnHours: 0n,
  unsafeShutdowns: 0n,
  mediaErrors: 0n,
  errorLogEntries: 0n,
  warningTemperatureTime: 0,
  criticalTemperatureTime: 0,
  thermalMgmtTemp1TransitionCount: 0,
  thermalMgmtTemp2TransitionCount: 0,
  thermalMgmtTemp1TotalTime: 0,
  thermalMgmtTemp2TotalTime: 0,
  temperatureSensors: new Array<number>(TEMPERATURE_SENSOR_COUNT).fill(0),
});

export function encodeSmartHealthLog(overrides: Partial<SmartHealthLog> = {}): Uint8Array {
  const values: SmartHealthLog = { ...SMART_HEALTH_DEFAULTS, ...overrides };
  const writer = new BufferWriter(SMART_HEALTH_LOG_SIZE);
  writeStruct(writer, "SMART / Health", SMART_HEALTH_LAYOUT, values);
  const sensors = values.temperatureSensors.length;
  checkEntryCount(
    "SMART / Health.Temperature Sensors",
    sensors,
    TEMPERATURE_SENSOR_COUNT,
    TEMPERATURE_SENSOR_COUNT,
    "one per sensor",
  );
  values.temperatureSensors.forEach((kelvin, index) => {
    writer.u16(
      TEMPERATURE_SENSORS_OFFSET + index * SENSOR_BYTES,
      `SMART / Health.Temperature Sensor ${index + 1}`,
      kelvin,
    );
  });
  return writer.bytes;
}

export function decodeSmartHealthLog(data: Uint8Array): SmartHealthLog {
  const reader = new BufferReader(data, "SMART / Health log", SMART_HEALTH_LOG_SIZE);
  const temperatureSensors: number[] = [];
  for (let index = 0; index < TEMPERATURE_SENSOR_COUNT; index++) {
    temperatureSensors.push(reader.u16(TEMPERATURE_SENSORS_OFFSET + index * SENSOR_BYTES));
  }
  return { ...readStruct(reader, SMART_HEALTH_LAYOUT), temperatureSensors };
}

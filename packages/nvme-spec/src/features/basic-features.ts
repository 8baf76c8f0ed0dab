import { dwordCodec, type Fields, flag, uint } from "../layout.js";

/**
 * Dword layouts of the features a host driver sets during bring-up. Each is both the Set
 * Features CDW11 and the Get Features completion DW0 unless noted (Base 2.1 §5.1.25.1).
 */

/** FID 01h Arbitration (§5.1.25.1.1, Fig. 387). */
export const ARBITRATION_LAYOUT = Object.freeze({
  /** bits 2:0 AB: arbitration burst, 2^AB commands; 111b = no limit */
  ab: uint(2, 0),
  /** bits 15:8 LPW: low priority weight, 0's based */
  lpw: uint(15, 8),
  /** bits 23:16 MPW: medium priority weight, 0's based */
  mpw: uint(23, 16),
  /** bits 31:24 HPW: high priority weight, 0's based */
  hpw: uint(31, 24),
});
export type Arbitration = Fields<typeof ARBITRATION_LAYOUT>;
export const arbitrationCodec = dwordCodec("Arbitration", ARBITRATION_LAYOUT);
/** AB value meaning "no limit". */
export const ARBITRATION_BURST_NO_LIMIT = 0b111;

/** FID 02h Power Management (§5.1.25.1.2, Fig. 388). */
export const POWER_MANAGEMENT_LAYOUT = Object.freeze({
  /** bits 4:0 PS: power state, index into the Identify power state descriptors */
  ps: uint(4, 0),
  /** bits 7:5 WH: workload hint */
  wh: uint(7, 5),
});
export type PowerManagement = Fields<typeof POWER_MANAGEMENT_LAYOUT>;
export const powerManagementCodec = dwordCodec("Power Management", POWER_MANAGEMENT_LAYOUT);

/** FID 04h Temperature Threshold (§5.1.25.1.4, Fig. 390). */
export const TEMPERATURE_THRESHOLD_LAYOUT = Object.freeze({
  /** bits 15:0 TMPTH: threshold, kelvin */
  tmpth: uint(15, 0),
  /** bits 19:16 TMPSEL: sensor, 0 = composite, 1-8 = sensor n, Fh = all */
  tmpsel: uint(19, 16),
  /** bits 21:20 THSEL: 00b over-temperature, 01b under-temperature */
  thsel: uint(21, 20),
});
export type TemperatureThreshold = Fields<typeof TEMPERATURE_THRESHOLD_LAYOUT>;
export const temperatureThresholdCodec = dwordCodec("Temperature Threshold", TEMPERATURE_THRESHOLD_LAYOUT);
export const ThresholdType = Object.freeze({ OverTemperature: 0b00, UnderTemperature: 0b01 });
/** Kelvin offset for converting TMPTH and SMART temperatures to degrees Celsius. */
export const KELVIN_OFFSET = 273;

/** FID 06h Volatile Write Cache (§5.1.25.1.6, Fig. 393). */
export const VOLATILE_WRITE_CACHE_LAYOUT = Object.freeze({
  /** bit 0 WCE: volatile write cache enabled */
  wce: flag(0),
});
export type VolatileWriteCache = Fields<typeof VOLATILE_WRITE_CACHE_LAYOUT>;
export const volatileWriteCacheCodec = dwordCodec("Volatile Write Cache", VOLATILE_WRITE_CACHE_LAYOUT);

/**
 * FID 07h Number of Queues (§5.1.25.1.7, Fig. 394/395). Set CDW11 carries the requested counts
 * (NSQR/NCQR), the completion DW0 the allocated counts (NSQA/NCQA); both 0's based, FFFFh invalid.
 */
export const NUMBER_OF_QUEUES_LAYOUT = Object.freeze({
  /** bits 15:0 NSQR / NSQA: number of I/O submission queues, 0's based */
  nsq: uint(15, 0),
  /** bits 31:16 NCQR / NCQA: number of I/O completion queues, 0's based */
  ncq: uint(31, 16),
});
export type NumberOfQueues = Fields<typeof NUMBER_OF_QUEUES_LAYOUT>;
export const numberOfQueuesCodec = dwordCodec("Number of Queues", NUMBER_OF_QUEUES_LAYOUT);
/** NSQR/NCQR value the spec forbids (65536 queues): Invalid Field. */
export const NUMBER_OF_QUEUES_INVALID = 0xffff;

/** FID 08h Interrupt Coalescing (§5.1.25.1.8, Fig. 396). */
export const INTERRUPT_COALESCING_LAYOUT = Object.freeze({
  /** bits 7:0 THR: aggregation threshold, completions, 0's based */
  thr: uint(7, 0),
  /** bits 15:8 TIME: aggregation time, 100 microsecond units */
  time: uint(15, 8),
});
export type InterruptCoalescing = Fields<typeof INTERRUPT_COALESCING_LAYOUT>;
export const interruptCoalescingCodec = dwordCodec("Interrupt Coalescing", INTERRUPT_COALESCING_LAYOUT);
/** Unit of Interrupt Coalescing TIME, in microseconds. */
export const INTERRUPT_COALESCING_TIME_UNIT_US = 100;

/** FID 0Bh Asynchronous Event Configuration (§5.1.25.1.11, Fig. 401). */
export const ASYNC_EVENT_CONFIG_LAYOUT = Object.freeze({
  /** bits 7:0 SHCW: SMART / Health critical warnings that raise an event, one bit per warning */
  smartCriticalWarnings: uint(7, 0),
  /** bit 8 NANS: namespace attribute notices */
  namespaceAttributeNotices: flag(8),
  /** bit 9 FANS: firmware activation notices */
  firmwareActivationNotices: flag(9),
  /** bit 10 TLNS: telemetry log notices */
  telemetryLogNotices: flag(10),
  /** bit 11 ANACNS: asymmetric namespace access change notices */
  anaChangeNotices: flag(11),
  /** bit 12 PLEALCNS: predictable latency event aggregate log change notices */
  predictableLatencyNotices: flag(12),
  /** bit 13 LSIGCNS: LBA status information notices */
  lbaStatusNotices: flag(13),
  /** bit 14 EGEALCNS: endurance group event aggregate log change notices */
  enduranceGroupNotices: flag(14),
  /** bit 15 NNSSHDN: normal NVM subsystem shutdown notices */
  normalShutdownNotices: flag(15),
  /** bit 31 DLPCN: discovery log page change notices (fabrics) */
  discoveryLogChangeNotices: flag(31),
});
export type AsyncEventConfig = Fields<typeof ASYNC_EVENT_CONFIG_LAYOUT>;
export const asyncEventConfigCodec = dwordCodec(
  "Asynchronous Event Configuration",
  ASYNC_EVENT_CONFIG_LAYOUT,
);

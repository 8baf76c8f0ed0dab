/** @bplab/node-kit/testing: the harness for tests that race many processes for one lock. */
export type { LockRaceChild, RaceRound, RoundReport } from "./lock-race.js";
export { deadPid, LockRacers, runLockRace, serveLockRace } from "./lock-race.js";
export { ForeignLockHolder, newPidNamespaceUnavailableReason } from "./pid-namespace.js";

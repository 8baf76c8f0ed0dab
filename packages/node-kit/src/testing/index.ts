/** @bplab/node-kit/testing: the harness for tests that race many processes for one lock. */
export type { LockRaceChild, RaceRound } from "./lock-race.js";
export { deadPid, LockRacers, serveLockRace, summarizeRound } from "./lock-race.js";

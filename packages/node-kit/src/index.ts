/**
 * @bplab/node-kit: the small Node.js helpers the lab's packages share, so each exists once:
 * process liveness, the pid lock file, running external commands, whether a file is executable,
 * children that die with their parent, and the CodedError base of every package's errors.
 */

export {
  acceptCommandFailuresAs,
  CodedError,
  CommandFailedError,
  PidLockBusyError,
  PidLockForeignOwnerError,
} from "./errors.js";
export { isExecutable } from "./is-executable.js";
export type { LockOwner, OwnerVerdict, ProcessPlace } from "./lock-owner.js";
export {
  currentProcessPlace,
  describeLockOwner,
  formatLockOwner,
  judgeLockOwner,
  parseLockOwner,
  sameLockOwner,
  untrustedLockOwner,
} from "./lock-owner.js";
export type { CommandLine } from "./parent-death.js";
export { dieWithParent, SETPRIV_PATH } from "./parent-death.js";
export type { FailFastLockOptions, PidLock, PidLockOptions, WaitingLockOptions } from "./pid-lock.js";
export {
  acquirePidLock,
  DEFAULT_LOCK_POLL_MS,
  isLockHeld,
  readLockOwner,
  readLockRecord,
  withPidLock,
} from "./pid-lock.js";
export { processIsAlive } from "./process-alive.js";
export type { CommandRunner, RunOptions, RunResult } from "./run-command.js";
export { formatCommand, runChecked, runCommand, TAIL_LINES } from "./run-command.js";

/**
 * One of the many openers the owner-lock race test starts (see @bplab/node-kit/testing).
 * Usage: node --import tsx owner-lock-child.ts <lockPath> <markerPath>
 */
import { serveLockRace } from "@bplab/node-kit/testing";
import { acquireOwnerLock } from "../../src/storage/owner-lock.js";

const [lockPath = "", markerPath = ""] = process.argv.slice(2);

serveLockRace({
  lockPath,
  markerPath,
  acquire: () => acquireOwnerLock(lockPath),
  isBusy: (error) => (error as { code?: string }).code === "STATE_DIR_BUSY",
});

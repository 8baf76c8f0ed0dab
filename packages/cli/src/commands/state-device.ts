/**
 * Runs a `bplab bp …` command against a state directory: open it (a power cycle, MC-42), put the
 * in-process controller and host driver on it, run, and close everything even on failure.
 */
import { openStateDir, type StateDir } from "@bplab/controller/storage";
import { type DeviceSession, openDeviceSession } from "../session.js";

export async function withStateDevice<T>(
  stateDir: string,
  run: (session: DeviceSession, state: StateDir) => Promise<T>,
): Promise<T> {
  const state = openStateDir(stateDir);
  try {
    const session = await openDeviceSession({ store: state });
    try {
      return await run(session, state);
    } finally {
      await session.close();
    }
  } finally {
    state.close();
  }
}

import { findQemuBinary, type QemuBinary } from "../../src/find-qemu.js";

/** The QEMU the integration tests use, or why they are skipped (printed once per file). */
export const qemuBinary: QemuBinary | undefined = await findQemuBinary().catch((error: Error) => {
  console.warn(`[qtest] skipping QEMU integration tests: ${error.message}`);
  return undefined;
});

export const hasQemu = qemuBinary !== undefined;

/** True when a process with this pid exists. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

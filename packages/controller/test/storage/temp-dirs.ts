import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Temporary directories removed after the test file, so failing runs do not fill the disk. */
export function tempDirs(): { make(prefix?: string): string; removeAll(): void } {
  const made: string[] = [];
  return {
    make(prefix = "bplab-state-") {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    removeAll() {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every file name and its bytes, to prove that a rejected directory was not touched. */
export function snapshotDirectory(dir: string): Map<string, string> {
  const snapshot = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) {
    snapshot.set(name, readFileSync(join(dir, name)).toString("base64"));
  }
  return snapshot;
}

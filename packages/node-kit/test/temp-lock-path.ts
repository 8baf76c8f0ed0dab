/** Fresh lock paths in temporary directories, removed after the test file (shared by the lock tests). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** Returns a function that makes a new lock path each call; its directories go after all tests. */
export function tempLockPaths(fileName = "test.lock"): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), "bplab-node-kit-"));
    made.push(dir);
    return join(dir, fileName);
  };
}

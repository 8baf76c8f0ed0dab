import { closeSync, openSync, writeSync } from "node:fs";
import type { TraceBus } from "../trace.js";

/**
 * Appends every later event of `trace` to `path` as one JSON object per line (the file is created
 * or truncated). Returns the function that unsubscribes and closes the file. Here, not on TraceBus,
 * so the core itself never touches the file system.
 */
export function writeTraceJsonLines(trace: TraceBus, path: string): () => void {
  const fd = openSync(path, "w");
  let open = true;
  const unsubscribe = trace.subscribe((event) => {
    if (open) writeSync(fd, `${JSON.stringify(event)}\n`);
  });
  return () => {
    if (!open) return;
    open = false;
    unsubscribe();
    closeSync(fd);
  };
}

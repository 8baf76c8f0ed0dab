import { accessSync, constants } from "node:fs";

/**
 * Whether this process may execute `path` (a missing file, a directory without search rights or a
 * file without an execute bit all answer false). One check for every "is this tool here?" test.
 */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

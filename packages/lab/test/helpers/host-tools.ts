import { accessSync, constants } from "node:fs";

function executable(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

/** busybox on the host (busybox-static), an independent cpio reader for the archive tests. */
export const busyboxPath = executable("/bin/busybox");
if (!busyboxPath) console.warn("[lab] /bin/busybox is missing: the cpio cross-check with busybox is skipped");

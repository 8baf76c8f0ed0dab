/** The paths of one open state directory and whether it was closed; shared by its stores. */
import { join } from "node:path";
import { StorageError } from "../errors.js";
import { writeFileAtomic } from "./file-io.js";
import { StateFile, type StateMeta, serializeMeta } from "./state-meta.js";

export class StateFiles {
  readonly dir: string;
  #closed = false;

  constructor(dir: string) {
    this.dir = dir;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  assertOpen(field: string): void {
    if (this.#closed) {
      throw new StorageError("STORAGE_CLOSED", field, `${field}: the state directory was closed`);
    }
  }

  markClosed(): boolean {
    const wasOpen = !this.#closed;
    this.#closed = true;
    return wasOpen;
  }
}

export function writeMeta(files: StateFiles, meta: StateMeta): void {
  writeFileAtomic(files.dir, files.path(StateFile.meta), files.path(StateFile.metaTemp), serializeMeta(meta));
}

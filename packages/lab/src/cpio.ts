/**
 * A writer for the cpio "newc" format, the one the Linux kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst). Written here so building a guest
 * needs no cpio tool on the host. Output is reproducible: mtime, uid and gid are 0, inode numbers
 * count up in entry order.
 */
import { LabBadOptionError } from "./errors.js";

export const CPIO_NEWC_MAGIC = "070701";
/** Header: the magic plus 13 fields of 8 hex digits. */
export const CPIO_HEADER_BYTES = CPIO_NEWC_MAGIC.length + 13 * 8;
/** Names and data each start on a 4-byte boundary. */
export const CPIO_ALIGNMENT = 4;
export const CPIO_TRAILER_NAME = "TRAILER!!!";

/** st_mode file type bits (POSIX). */
export const FileType = Object.freeze({
  Directory: 0o040000,
  Regular: 0o100000,
  Symlink: 0o120000,
});

export const DEFAULT_DIRECTORY_MODE = 0o755;
export const DEFAULT_FILE_MODE = 0o644;
export const EXECUTABLE_FILE_MODE = 0o755;
const SYMLINK_MODE = 0o777;
const PERMISSION_BITS = 0o7777;
const FILE_TYPE_MASK = 0o170000;
const HEX_FIELD_DIGITS = 8;

export type CpioEntry =
  | { readonly kind: "directory"; readonly path: string; readonly mode?: number }
  | { readonly kind: "file"; readonly path: string; readonly data: Uint8Array; readonly mode?: number }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string };

function hexField(value: number): string {
  return value.toString(16).padStart(HEX_FIELD_DIGITS, "0");
}

function padding(length: number): number {
  return (CPIO_ALIGNMENT - (length % CPIO_ALIGNMENT)) % CPIO_ALIGNMENT;
}

/** Archive paths are relative ("bin/busybox"): the kernel unpacks them below "/". */
export function normalizeArchivePath(path: string): string {
  const trimmed = path.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed === "" || trimmed.split("/").some((part) => part === "" || part === "." || part === "..")) {
    throw new LabBadOptionError(
      "cpio entry path",
      "must be a non-empty path without '.', '..' or '//'",
      path,
    );
  }
  return trimmed;
}

function checkMode(path: string, mode: number): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > PERMISSION_BITS) {
    throw new LabBadOptionError(`cpio entry ${path}: mode`, "must be permission bits 0..0o7777", mode);
  }
}

interface Record {
  readonly name: string;
  readonly mode: number;
  readonly data: Uint8Array;
}

function toRecord(entry: CpioEntry): Record {
  const name = normalizeArchivePath(entry.path);
  switch (entry.kind) {
    case "directory": {
      const mode = entry.mode ?? DEFAULT_DIRECTORY_MODE;
      checkMode(name, mode);
      return { name, mode: FileType.Directory | mode, data: new Uint8Array(0) };
    }
    case "file": {
      const mode = entry.mode ?? DEFAULT_FILE_MODE;
      checkMode(name, mode);
      return { name, mode: FileType.Regular | mode, data: entry.data };
    }
    case "symlink":
      if (entry.target === "")
        throw new LabBadOptionError(`cpio symlink ${name}: target`, "must not be empty");
      return { name, mode: FileType.Symlink | SYMLINK_MODE, data: new TextEncoder().encode(entry.target) };
  }
}

function header(inode: number, record: Record, nameBytes: number): string {
  const isDirectory = (record.mode & FILE_TYPE_MASK) === FileType.Directory;
  const fields = [
    inode,
    record.mode,
    0, // uid
    0, // gid
    isDirectory ? 2 : 1, // nlink
    0, // mtime
    record.data.length,
    0, // devmajor
    0, // devminor
    0, // rdevmajor
    0, // rdevminor
    nameBytes,
    0, // check (only the "070702" format uses it)
  ];
  return CPIO_NEWC_MAGIC + fields.map(hexField).join("");
}

/** The whole archive, entries in the given order, ending with the trailer. */
export function encodeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const encoder = new TextEncoder();
  const records = entries.map(toRecord);
  records.push({ name: CPIO_TRAILER_NAME, mode: 0, data: new Uint8Array(0) });
  const chunks: Uint8Array[] = [];
  let total = 0;
  const push = (chunk: Uint8Array) => {
    chunks.push(chunk);
    total += chunk.length;
  };
  records.forEach((record, index) => {
    const name = encoder.encode(`${record.name}\0`);
    const isTrailer = index === records.length - 1;
    push(encoder.encode(header(isTrailer ? 0 : index + 1, record, name.length)));
    push(name);
    push(new Uint8Array(padding(CPIO_HEADER_BYTES + name.length)));
    push(record.data);
    push(new Uint8Array(padding(record.data.length)));
  });
  const archive = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    archive.set(chunk, offset);
    offset += chunk.length;
  }
  return archive;
}

/**
 * Collects entries and adds each missing parent directory before its first child, so callers
 * only name the files they need.
 */
export class CpioBuilder {
  private readonly entries: CpioEntry[] = [];
  private readonly paths = new Set<string>();

  directory(path: string, mode = DEFAULT_DIRECTORY_MODE): this {
    const name = normalizeArchivePath(path);
    if (this.paths.has(name)) return this;
    this.parents(name);
    this.add({ kind: "directory", path: name, mode });
    return this;
  }

  file(path: string, data: Uint8Array, mode = DEFAULT_FILE_MODE): this {
    const name = normalizeArchivePath(path);
    this.parents(name);
    this.add({ kind: "file", path: name, data, mode });
    return this;
  }

  symlink(path: string, target: string): this {
    const name = normalizeArchivePath(path);
    this.parents(name);
    this.add({ kind: "symlink", path: name, target });
    return this;
  }

  has(path: string): boolean {
    return this.paths.has(normalizeArchivePath(path));
  }

  list(): readonly CpioEntry[] {
    return this.entries;
  }

  encode(): Uint8Array {
    return encodeCpio(this.entries);
  }

  private parents(name: string): void {
    const parts = name.split("/");
    for (let depth = 1; depth < parts.length; depth++) this.directory(parts.slice(0, depth).join("/"));
  }

  private add(entry: CpioEntry): void {
    const name = normalizeArchivePath(entry.path);
    if (this.paths.has(name)) {
      throw new LabBadOptionError("cpio entry path", "must be unique in the archive", name);
    }
    this.paths.add(name);
    this.entries.push(entry);
  }
}

/** Content hashing of the build context: which files, in which order, with which bytes. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join, relative, sep } from "node:path";

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** One context entry: a file (its bytes' hash and whether it is executable) or a symlink (its target). */
export interface ContextEntry {
  /** Relative path with "/" separators. */
  readonly path: string;
  readonly kind: "file" | "symlink";
  /** sha256 of the bytes, or the link target. */
  readonly digest: string;
  readonly executable: boolean;
}

/** Length of the hash in image tags (bplab/lab:<hash>). */
export const CONTENT_HASH_LENGTH = 16;

/**
 * The image's content hash: independent of the order entries are listed in, and of anything but
 * paths, bytes, link targets and the executable bit (mtimes and owners do not count).
 */
export function contentHash(entries: readonly ContextEntry[]): string {
  const lines = [...entries]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((entry) => `${entry.kind} ${entry.executable ? "x" : "-"} ${entry.digest} ${entry.path}`);
  return sha256Hex(`${lines.join("\n")}\n`).slice(0, CONTENT_HASH_LENGTH);
}

/** Every file and symlink under `root` (directories are implied by their contents). */
export async function listContext(root: string): Promise<ContextEntry[]> {
  const entries: ContextEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const item of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, item.name);
      const rel = relative(root, path).split(sep).join("/");
      if (item.isDirectory()) await walk(path);
      else if (item.isSymbolicLink()) {
        entries.push({ path: rel, kind: "symlink", digest: await readlink(path), executable: false });
      } else if (item.isFile()) {
        const mode = (await lstat(path)).mode;
        entries.push({
          path: rel,
          kind: "file",
          digest: await sha256OfFile(path),
          executable: (mode & 0o111) !== 0,
        });
      }
    }
  };
  await walk(root);
  return entries;
}

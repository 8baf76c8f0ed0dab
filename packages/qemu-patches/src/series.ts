/**
 * The patch series (patches/series plus the files it names) and the build key: a hash of
 * everything that decides what the build produces.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SeriesError } from "./errors.js";
import {
  BUILD_TARGETS,
  CONFIGURE_FLAGS,
  DEVICE_CONFIG,
  QEMU_VERSION,
  RECIPE_REVISION,
  SOURCE_EXCLUDES,
  SOURCE_FIXUPS,
} from "./pins.js";

export interface SeriesPatch {
  /** File name as listed in `series`. */
  readonly name: string;
  readonly path: string;
  readonly contents: string;
  /** The subject without the "[PATCH n/m]" prefix. */
  readonly subject: string;
}

export interface Series {
  readonly dir: string;
  readonly patches: readonly SeriesPatch[];
  /** The cover letter (0000-cover-letter.patch), when present; never applied. */
  readonly coverLetter?: string;
}

/** The names listed in a quilt-style series file: one per line, '#' starts a comment. */
export function parseSeriesFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean);
}

/** The subject of a `git format-patch` file, unfolded, without the [PATCH] tag. */
export function patchSubject(contents: string): string {
  const match = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(contents);
  if (!match?.[1]) return "";
  return match[1]
    .replace(/\r?\n[ \t]+/g, " ")
    .replace(/^\[PATCH[^\]]*\]\s*/, "")
    .trim();
}

export function loadSeries(dir: string): Series {
  const seriesFile = join(dir, "series");
  if (!existsSync(seriesFile)) throw new SeriesError(`${seriesFile}: no series file`);
  const names = parseSeriesFile(readFileSync(seriesFile, "utf8"));
  if (names.length === 0) throw new SeriesError(`${seriesFile}: lists no patches`);
  const patches = names.map((name) => {
    if (name.includes("/") || !name.endsWith(".patch")) {
      throw new SeriesError(`${seriesFile}: "${name}" must be a .patch file name in the same directory`);
    }
    const path = join(dir, name);
    if (!existsSync(path)) throw new SeriesError(`${seriesFile}: "${name}" does not exist`);
    const contents = readFileSync(path, "utf8");
    if (!contents.includes("\ndiff --git ")) throw new SeriesError(`${path}: contains no diff`);
    return { name, path, contents, subject: patchSubject(contents) };
  });
  const cover = join(dir, "0000-cover-letter.patch");
  return { dir, patches, ...(existsSync(cover) ? { coverLetter: cover } : {}) };
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The hex digits of the build key; enough to make collisions irrelevant for a cache. */
const BUILD_KEY_LENGTH = 16;

/**
 * The build key: the source identity, the patches in order and the recipe (configure flags,
 * device set, source fixups, targets). Equal keys mean interchangeable builds.
 */
export function buildKey(sourceIdentity: string, patches: readonly Pick<SeriesPatch, "contents">[]): string {
  const inputs = {
    qemu: QEMU_VERSION,
    recipe: RECIPE_REVISION,
    source: sourceIdentity,
    excludes: SOURCE_EXCLUDES,
    fixups: SOURCE_FIXUPS,
    devices: DEVICE_CONFIG,
    configure: CONFIGURE_FLAGS,
    targets: BUILD_TARGETS,
    patches: patches.map((patch) => sha256Hex(patch.contents)),
  };
  return sha256Hex(JSON.stringify(inputs)).slice(0, BUILD_KEY_LENGTH);
}

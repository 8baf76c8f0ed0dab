/**
 * The patched source tree: the pinned source unpacked, the build fixups applied, then a git
 * repository with one commit for the untouched source and one commit per patch (`git am`), so
 * any prefix of the series can be checked out for the bisect gate.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PatchFailedError, SeriesError } from "./errors.js";
import type { BuildLayout } from "./paths.js";
import {
  DEVICE_CONFIG,
  DEVICE_CONFIG_NAME,
  SERIES_AUTHOR,
  SOURCE_EXCLUDES,
  SOURCE_FIXUPS,
  SOURCE_TOP_DIR,
} from "./pins.js";
import { type CommandRunner, runChecked } from "./process.js";
import type { StepReporter } from "./progress.js";
import type { Series } from "./series.js";
import type { QemuSource } from "./source.js";

export const BASE_TAG = "bplab-base";

export interface PreparedTree {
  readonly key: string;
  readonly sourceDir: string;
  /** The commit of each patch, in series order. */
  readonly commits: readonly string[];
}

const TREE_STAMP = "tree.json";

function gitIdentity(): string[] {
  const match = /^(.*) <(.*)>$/.exec(SERIES_AUTHOR);
  return ["-c", `user.name=${match?.[1] ?? "bplab"}`, "-c", `user.email=${match?.[2] ?? "bplab@invalid"}`];
}

/** Applies the fixups the +ds tarball needs; throws when the text to replace is not there. */
export function applySourceFixups(sourceDir: string): void {
  for (const fixup of SOURCE_FIXUPS) {
    const path = join(sourceDir, fixup.file);
    const text = readFileSync(path, "utf8");
    if (text.includes(fixup.to)) continue;
    if (!text.includes(fixup.from)) {
      throw new SeriesError(`${path}: expected ${JSON.stringify(fixup.from)} for a build fixup`);
    }
    writeFileSync(path, text.replace(fixup.from, fixup.to));
  }
  const devices = join(sourceDir, "configs", "devices", "x86_64-softmmu", `${DEVICE_CONFIG_NAME}.mak`);
  writeFileSync(devices, `${DEVICE_CONFIG.join("\n")}\n`);
}

async function unpack(source: QemuSource, layout: BuildLayout, runner: CommandRunner): Promise<void> {
  const excludes = SOURCE_EXCLUDES.map((path) => `--exclude=${path}`);
  if (source.kind === "checkout") {
    const archive = join(layout.root, "checkout.tar");
    await runChecked(runner, "git", [
      "-C",
      source.path,
      "archive",
      "--format=tar",
      `--prefix=${SOURCE_TOP_DIR}/`,
      "-o",
      archive,
      "HEAD",
    ]);
    await runChecked(runner, "tar", ["--no-same-owner", "-xf", archive, "-C", layout.root, ...excludes]);
    rmSync(archive, { force: true });
    return;
  }
  await runChecked(runner, "tar", ["--no-same-owner", "-xf", source.path, "-C", layout.root, ...excludes]);
}

export interface PrepareTreeOptions {
  layout: BuildLayout;
  key: string;
  source: QemuSource;
  series: Series;
  runner: CommandRunner;
  reporter: StepReporter;
}

export function readTreeStamp(layout: BuildLayout): PreparedTree | undefined {
  const path = join(layout.root, TREE_STAMP);
  if (!existsSync(path) || !existsSync(layout.sourceDir)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as PreparedTree;
  } catch {
    return undefined;
  }
}

/** Unpacks and patches the tree, unless the layout already holds the tree for this key. */
export async function prepareTree(options: PrepareTreeOptions): Promise<PreparedTree> {
  const { layout, key, source, series, runner, reporter } = options;
  const existing = readTreeStamp(layout);
  if (existing?.key === key && existing.commits.length === series.patches.length) {
    reporter.report(`patched tree ${layout.sourceDir} is up to date`);
    return existing;
  }
  rmSync(layout.sourceDir, { recursive: true, force: true });
  rmSync(layout.buildDir, { recursive: true, force: true });
  rmSync(join(layout.root, TREE_STAMP), { force: true });
  mkdirSync(layout.root, { recursive: true });

  reporter.report(`unpacking ${source.path}`);
  await unpack(source, layout, runner);
  applySourceFixups(layout.sourceDir);

  reporter.report("recording the base tree in git");
  const git = (args: string[]) =>
    runChecked(runner, "git", [...gitIdentity(), ...args], { cwd: layout.sourceDir, captureStdout: true });
  await git(["init", "-q", "-b", "master"]);
  await git(["add", "-A"]);
  await git(["commit", "-q", "--no-verify", "-m", `QEMU ${SOURCE_TOP_DIR} with the build fixups`]);
  await git(["tag", BASE_TAG]);

  const commits: string[] = [];
  for (const [index, patch] of series.patches.entries()) {
    reporter.report(`git am ${patch.name}`, index + 1, series.patches.length);
    const applied = await runner(
      "git",
      [...gitIdentity(), "am", "-q", "--committer-date-is-author-date", patch.path],
      {
        cwd: layout.sourceDir,
      },
    );
    if (applied.exitCode !== 0) {
      await runner("git", ["am", "--abort"], { cwd: layout.sourceDir });
      throw new PatchFailedError(patch.name, applied.tail);
    }
    commits.push((await git(["rev-parse", "HEAD"])).stdout.trim());
  }
  const tree: PreparedTree = { key, sourceDir: layout.sourceDir, commits };
  writeFileSync(join(layout.root, TREE_STAMP), `${JSON.stringify(tree, null, 2)}\n`);
  return tree;
}

// The offline Nix checks (docs/nix.md): what can be verified about flake.nix on a machine that
// cannot reach nixpkgs. Used by scripts/test/nix-flake.test.mjs; runnable by hand too:
//   node nix/tests/offline.mjs            (prints each check, exits 1 on the first failure)
import { spawnSync } from "node:child_process";
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** What a flake evaluation needs from the repository: nothing else is copied. */
export const FLAKE_INPUT_PATHS = [
  "flake.nix",
  "nix",
  "packages/pins/pins.json",
  "packages/qemu-patches/patches",
  "packages/firmware/efi",
  "packages/firmware/package.json",
];
export const STUB_NIXPKGS_DIR = "nix/tests/stub-nixpkgs";
const FLAKE_FEATURES = ["--extra-experimental-features", "nix-command flakes"];

/** Every .nix file of the repository's flake: flake.nix and everything under nix/. */
export function nixFiles(root = repoRoot) {
  const found = [join(root, "flake.nix")];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".nix")) found.push(path);
    }
  };
  walk(join(root, "nix"));
  return found;
}

function onPath(command, env) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { env, encoding: "utf8" }).status === 0;
}

/**
 * Makes nix-instantiate and nix available: as root on Debian, installs Debian's nix-bin with the
 * given apt environment. Returns { ok: true } or { ok: false, reason } (the reason is printed by
 * the caller when it skips).
 */
export function ensureNix({ env = process.env, aptEnv = env, install = true } = {}) {
  if (onPath("nix-instantiate", env) && onPath("nix", env)) return { ok: true, installed: false };
  if (!install) return { ok: false, reason: "nix is not installed and installing it was not asked for" };
  if (process.getuid?.() !== 0)
    return { ok: false, reason: "nix is not installed, and installing nix-bin needs root" };
  if (!existsSync("/etc/debian_version"))
    return { ok: false, reason: "nix is not installed and this is not Debian" };
  const aptInstall = () =>
    spawnSync(
      "apt-get",
      ["-o", "DPkg::Lock::Timeout=900", "install", "-y", "--no-install-recommends", "nix-bin"],
      { env: aptEnv, encoding: "utf8" },
    );
  let result = aptInstall();
  if (result.status !== 0) {
    spawnSync("apt-get", ["-o", "DPkg::Lock::Timeout=900", "update"], { env: aptEnv, encoding: "utf8" });
    result = aptInstall();
  }
  if (result.status !== 0) {
    return {
      ok: false,
      reason: `apt-get install nix-bin failed: ${(result.stderr || result.stdout).trim().slice(-400)}`,
    };
  }
  if (!onPath("nix", env)) return { ok: false, reason: "nix-bin installed but nix is not on PATH" };
  return { ok: true, installed: true };
}

/** Flake commands write /nix/store (inputs are copied there); evaluation alone needs nothing else. */
export function storeWritable() {
  try {
    accessSync("/nix/store", constants.W_OK);
    return { ok: true };
  } catch {
    if (process.getuid?.() === 0) return { ok: true }; // nix creates it on first use
    return {
      ok: false,
      reason: "/nix/store is not writable by this user (flake evaluation copies inputs there)",
    };
  }
}

/** An isolated HOME for nix (it writes ~/.cache/nix), so tests never touch the user's. */
export function nixEnvironment(home, env = process.env) {
  mkdirSync(home, { recursive: true });
  return { ...env, HOME: home, XDG_CACHE_HOME: join(home, ".cache"), NIX_CONFIG: "warn-dirty = false" };
}

/** `nix-instantiate --parse FILE`: syntax only, no store, no network. */
export function parseNix(file, env) {
  const r = spawnSync("nix-instantiate", ["--parse", file], { env, encoding: "utf8" });
  return { ok: r.status === 0, stderr: withoutNoise(r.stderr ?? "") };
}

/** Drops the warnings Debian's nix.conf makes every command print. */
export function withoutNoise(text) {
  return text
    .split("\n")
    .filter((line) => !/build-users-group|Git tree .* is dirty|not writing modified lock file/.test(line))
    .join("\n")
    .trim();
}

/**
 * A flake directory Nix accepts: a git repository with the flake's inputs copied from `root` and
 * `git add`ed (Nix ignores untracked files). `edit(dir)` may change the copy before it is added.
 */
export function makeFlakeCopy(root = repoRoot, edit = undefined) {
  const dir = mkdtempSync(join(tmpdir(), "bplab-flake-"));
  for (const path of FLAKE_INPUT_PATHS) cpSync(join(root, path), join(dir, path), { recursive: true });
  edit?.(dir);
  const git = (...args) => {
    const r = spawnSync("git", ["-C", dir, ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")} in ${dir}: ${r.stderr}`);
  };
  git("init", "-q");
  git("add", "-A");
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `nix <args>` on the flake in `dir` with nixpkgs replaced by the stub. */
export function nixWithStub(dir, args, env) {
  const stub = `path:${join(dir, STUB_NIXPKGS_DIR)}`;
  const r = spawnSync("nix", [...FLAKE_FEATURES, ...args, "--override-input", "nixpkgs", stub], {
    cwd: dir,
    env,
    encoding: "utf8",
  });
  return {
    ok: r.status === 0,
    status: r.status,
    stdout: r.stdout ?? "",
    stderr: withoutNoise(r.stderr ?? ""),
  };
}

/** `nix eval --json .#<attribute>` against the stub, parsed. */
export function evalJson(dir, attribute, env, apply = undefined) {
  const r = nixWithStub(dir, ["eval", "--json", `.#${attribute}`, ...(apply ? ["--apply", apply] : [])], env);
  if (!r.ok) throw new Error(`nix eval .#${attribute} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const env = nixEnvironment(mkdtempSync(join(tmpdir(), "bplab-nix-home-")));
  const nix = ensureNix({ env, install: false });
  if (!nix.ok) {
    console.log(`skipped: ${nix.reason}`);
    process.exit(0);
  }
  let failed = 0;
  for (const file of nixFiles()) {
    const r = parseNix(file, env);
    console.log(`${r.ok ? "ok" : "FAIL"}  nix-instantiate --parse ${relative(repoRoot, file)}`);
    if (!r.ok) failed++;
  }
  const copy = makeFlakeCopy();
  for (const args of [
    ["flake", "check", "--no-build"],
    ["flake", "show"],
  ]) {
    const r = nixWithStub(copy.dir, args, env);
    console.log(
      `${r.ok ? "ok" : "FAIL"}  nix ${args.join(" ")} (stub nixpkgs)${r.ok ? "" : `\n${r.stderr}`}`,
    );
    if (!r.ok) failed++;
  }
  copy.remove();
  process.exit(failed === 0 ? 0 : 1);
}

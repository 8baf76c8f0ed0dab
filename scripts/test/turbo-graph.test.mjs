// `pnpm turbo test` builds what the QEMU-backed tests need as turbo tasks (turbo.json,
// packages/*/turbo.json, scripts/turbo-ensure.mjs). This reads turbo's own plan
// (`turbo run test --dry=json`) and checks that every test that needs the patched QEMU, the
// unpatched QEMU, the guest image, the EFI app or the lab image depends on the task that builds it,
// that the `--needs` list its test script passes to turbo-test.mjs says the same, and that the
// closing `//#test` summary waits for every package's test and typecheck.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { pnpmExec, resolvePnpm } from "../pnpm.mjs";
import { ARTEFACTS } from "../turbo-ensure.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

// The task that makes each artefact of scripts/turbo-ensure.mjs.
const TASK_OF = {
  qemu: "@bplab/qemu-patches#ensureQemu",
  "qemu-unpatched": "@bplab/qemu-patches#ensureQemuUnpatched",
  "guest-image": "@bplab/lab#ensureGuestImage",
  "efi-app": "@bplab/firmware#ensureEfiApp",
  "lab-image": "@bplab/container#ensureLabImage",
  "host-tools": "//#ensureHostTools",
};
// What each QEMU-backed package's tests use (its tests boot these; see each package's README).
const NEEDED = {
  "@bplab/qemu-patches": ["qemu", "qemu-unpatched"],
  "@bplab/qtest": ["qemu", "qemu-unpatched", "host-tools"],
  "@bplab/lab": ["qemu", "qemu-unpatched", "guest-image"],
  "@bplab/firmware": ["qemu", "qemu-unpatched", "guest-image", "efi-app"],
  "@bplab/vfio-user": ["qemu", "qemu-unpatched"],
  "@bplab/cli": ["qemu", "qemu-unpatched", "guest-image", "efi-app", "host-tools"],
  "@bplab/container": ["qemu", "guest-image", "efi-app", "lab-image"],
};

const manifests = readdirSync(join(root, "packages"))
  .filter((dir) => existsSync(join(root, "packages", dir, "package.json")))
  .map((dir) => JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")));

let tasks;
beforeAll(() => {
  const [command, args] = pnpmExec(resolvePnpm(root), "turbo", ["run", "test", "--dry=json"]);
  const dry = spawnSync(command, args, { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  expect(dry.status, dry.stderr).toBe(0);
  const plan = JSON.parse(dry.stdout.slice(dry.stdout.indexOf("{")));
  tasks = new Map(plan.tasks.map((task) => [task.taskId, task]));
}, 0); // 0: no time limit (the scripts project leaves hooks at vitest's 10 s; turbo starts via npx)

/** Every task `taskId` waits for, directly or through other tasks. */
function allDependencies(taskId) {
  const seen = new Set();
  const walk = (id) => {
    for (const dep of tasks.get(id)?.dependencies ?? []) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      walk(dep);
    }
  };
  walk(taskId);
  return seen;
}

describe("the turbo task graph of `turbo run test`", () => {
  it("knows a builder task for every artefact scripts/turbo-ensure.mjs can make", () => {
    expect(Object.keys(TASK_OF).sort()).toEqual(
      Object.keys(ARTEFACTS)
        .filter((name) => name !== "qemu-suite")
        .sort(),
    );
    for (const task of Object.values(TASK_OF)) expect(tasks.has(task), `${task} is planned`).toBe(true);
  });

  it.each(Object.entries(NEEDED))("%s's tests wait for what they boot", (name, needed) => {
    const deps = allDependencies(`${name}#test`);
    for (const artefact of needed)
      expect(deps, `${name}#test -> ${TASK_OF[artefact]}`).toContain(TASK_OF[artefact]);
    const script = manifests.find((m) => m.name === name)?.scripts?.test ?? "";
    const listed = /--needs (\S+)/.exec(script)?.[1]?.split(",") ?? [];
    expect(listed.sort(), `${name}'s test script --needs (rebuilds a deleted artefact)`).toEqual(
      [...needed].sort(),
    );
  });

  it("builds each artefact after the package whose builder makes it", () => {
    for (const [artefact, task] of Object.entries(TASK_OF)) {
      const pkg = ARTEFACTS[artefact].pkg;
      if (pkg) expect(allDependencies(task), task).toContain(`@bplab/${pkg}#build`);
    }
    expect(allDependencies("@bplab/qemu-patches#qemuSuite")).toContain(TASK_OF.qemu);
  });

  it("closes with //#test after every package's test and typecheck, the lint and the QEMU suite", () => {
    const deps = allDependencies("//#test");
    for (const manifest of manifests.filter((m) => m.scripts?.test)) {
      expect(deps, `//#test -> ${manifest.name}#test`).toContain(`${manifest.name}#test`);
      expect(deps, `//#test -> ${manifest.name}#typecheck`).toContain(`${manifest.name}#typecheck`);
    }
    for (const task of ["//#lint", "//#test:scripts", "@bplab/qemu-patches#qemuSuite"])
      expect(deps).toContain(task);
  });

  it("caches the expensive tasks by their inputs, keeping only the stamp as output", () => {
    for (const task of [...Object.values(TASK_OF), "@bplab/qemu-patches#qemuSuite"].filter(
      (id) => id !== TASK_OF["host-tools"],
    )) {
      const planned = tasks.get(task);
      expect(planned.resolvedTaskDefinition.cache, task).toBe(true);
      expect(planned.resolvedTaskDefinition.outputs, task).toEqual([
        expect.stringMatching(/^\.turbo\/bplab\/[\w-]+\.json$/),
      ]);
    }
  });
});

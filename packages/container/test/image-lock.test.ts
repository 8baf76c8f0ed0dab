/**
 * The lab image build's lock (`<cache>/docker-context.lock`, one build per cache): a fake `docker`
 * answers the engine probe and stops the build at its first command after the lock, so each test
 * sees whether ensureLabImage got past the lock. The cache may sit on a volume shared with a
 * container: a holder in another PID namespace is a real one (unshare --pid).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CommandRunner, currentProcessPlace, formatLockOwner } from "@bplab/node-kit";
import { deadPid, ForeignLockHolder, newPidNamespaceUnavailableReason } from "@bplab/node-kit/testing";
import { afterAll, describe, expect, it } from "vitest";
import { ensureLabImage } from "../src/image.js";
import type { LabImageProgress } from "../src/progress.js";

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "bplab-image-lock-"));
  made.push(dir);
  return dir;
}
const lockIn = (dir: string) => join(dir, "docker-context.lock");

/** The error the fake engine throws at the first command past the lock. */
class PastTheLock extends Error {}

/** A `docker` whose engine is up and which records the commands, failing at the first after the probe. */
function stopAfterLock(calls: string[][]): CommandRunner {
  return async (command, args) => {
    calls.push([command, ...args]);
    if (args[0] === "version") return { exitCode: 0, stdout: "27.0.0\n", stderr: "", tail: "" };
    throw new PastTheLock(`reached ${args.join(" ")}`);
  };
}

describe("the lab image build lock", () => {
  it("takes over a lock left by a dead builder of this namespace", async () => {
    const dir = cacheDir();
    writeFileSync(lockIn(dir), formatLockOwner({ ...currentProcessPlace(), pid: deadPid() }));
    const calls: string[][] = [];
    await expect(
      ensureLabImage({ cacheDir: dir, runner: stopAfterLock(calls), env: {} }),
    ).rejects.toBeInstanceOf(PastTheLock);
    expect(calls.length).toBeGreaterThan(1);
    expect(existsSync(lockIn(dir))).toBe(false); // released on the way out
  });

  it("waits for a live builder of this namespace, saying which, and builds once it is gone", async () => {
    const dir = cacheDir();
    const builder = spawn(process.execPath, ["-e", "process.stdin.resume()"], {
      stdio: ["pipe", "ignore", "ignore"],
    });
    const builderPid = builder.pid ?? 0;
    writeFileSync(lockIn(dir), formatLockOwner({ ...currentProcessPlace(), pid: builderPid }));
    const calls: string[][] = [];
    const waits: string[] = [];
    const onProgress = (event: LabImageProgress) => {
      if (!event.message.startsWith("waiting for process")) return;
      waits.push(event.message);
      expect(calls).toHaveLength(1); // nothing past the probe while the builder lives
      builder.once("exit", () => rmSync(lockIn(dir), { force: true })); // it releases as it ends
      builder.stdin?.end();
    };
    await expect(
      ensureLabImage({ cacheDir: dir, runner: stopAfterLock(calls), env: {}, onProgress }),
    ).rejects.toBeInstanceOf(PastTheLock);
    expect(waits).toEqual([
      `waiting for process ${builderPid}, which is building the lab image (${lockIn(dir)})`,
    ]);
  });
});

const noNamespaces = newPidNamespaceUnavailableReason();
if (noNamespaces) console.warn(`skipping the image lock's PID namespace test: ${noNamespaces}`);

describe.skipIf(noNamespaces)("the lab image build lock held from another PID namespace", () => {
  it("is neither taken over nor waited for, and names the holder and the file", async () => {
    const dir = cacheDir();
    const pid = deadPid();
    const holder = await ForeignLockHolder.start(lockIn(dir), { pidInNamespace: pid });
    try {
      expect(holder.owner.pid).toBe(pid);
      const before = readFileSync(lockIn(dir), "utf8");
      const calls: string[][] = [];
      await expect(
        ensureLabImage({ cacheDir: dir, runner: stopAfterLock(calls), env: {} }),
      ).rejects.toMatchObject({
        code: "PID_LOCK_FOREIGN_OWNER",
        path: lockIn(dir),
        message: expect.stringContaining(`process ${pid} in PID namespace ${holder.owner.pidNamespace}`),
      });
      expect(calls).toHaveLength(1); // only the engine probe: no build started
      expect(readFileSync(lockIn(dir), "utf8")).toBe(before);
    } finally {
      await holder.stop();
    }
  });
});

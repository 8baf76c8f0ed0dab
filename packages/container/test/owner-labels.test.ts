/**
 * The reaper's rule for lab containers: only an owner this process can check and finds dead makes
 * a container an orphan. An owner in another PID namespace (a test process in another container
 * that shares the Docker engine and host name) is real here: a process in a new PID namespace
 * (unshare --pid) at a pid that is dead in ours.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { currentProcessPlace } from "@bplab/node-kit";
import { deadPid, ForeignLockHolder, newPidNamespaceUnavailableReason } from "@bplab/node-kit/testing";
import { afterAll, describe, expect, it } from "vitest";
import {
  LAB_CONTAINER_HOST_LABEL,
  LAB_CONTAINER_OWNER_BOOT_LABEL,
  LAB_CONTAINER_OWNER_LABEL,
  LAB_CONTAINER_OWNER_PID_NAMESPACE_LABEL,
  labContainerIsOrphaned,
  labContainerOwnerLabels,
} from "../src/owner-labels.js";

const here = currentProcessPlace();
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe("lab container owner labels", () => {
  it("name this process's pid, host, PID namespace and boot", () => {
    expect(labContainerOwnerLabels()).toEqual({
      [LAB_CONTAINER_OWNER_LABEL]: String(process.pid),
      [LAB_CONTAINER_HOST_LABEL]: here.host,
      [LAB_CONTAINER_OWNER_PID_NAMESPACE_LABEL]: here.pidNamespace,
      [LAB_CONTAINER_OWNER_BOOT_LABEL]: here.bootId,
    });
  });

  it("make a container an orphan when its owner of this namespace is dead, not while it lives", () => {
    expect(labContainerIsOrphaned(labContainerOwnerLabels(deadPid()))).toBe(true);
    expect(labContainerIsOrphaned(labContainerOwnerLabels())).toBe(false);
  });

  it("judge labels written before the namespace labels existed by pid, as before", () => {
    const old = (pid: number) => ({
      [LAB_CONTAINER_OWNER_LABEL]: String(pid),
      [LAB_CONTAINER_HOST_LABEL]: "vm",
    });
    expect(labContainerIsOrphaned(old(deadPid()))).toBe(true);
    expect(labContainerIsOrphaned(old(process.pid))).toBe(false);
  });

  it("never reap on labels that name no owner (hostile or foreign labels)", () => {
    for (const pid of ["", "0", "-1", "1.5", "7x", "99999999999999999999"])
      expect(labContainerIsOrphaned({ [LAB_CONTAINER_OWNER_LABEL]: pid }, here, () => false)).toBe(false);
    expect(labContainerIsOrphaned({}, here, () => false)).toBe(false);
  });

  it("treat an earlier boot of this host as gone and another machine as not ours", () => {
    const place = { pidNamespace: "pid:[1]", bootId: "now", host: "lab-1" };
    const labels = labContainerOwnerLabels(7, { ...place, bootId: "before" });
    expect(labContainerIsOrphaned(labels, place, () => true)).toBe(true);
    const elsewhere = labContainerOwnerLabels(7, { ...place, bootId: "before", host: "lab-2" });
    expect(labContainerIsOrphaned(elsewhere, place, () => false)).toBe(false);
  });
});

const noNamespaces = newPidNamespaceUnavailableReason();
if (noNamespaces) console.warn(`skipping the reaper's PID namespace test: ${noNamespaces}`);

describe.skipIf(noNamespaces)("a lab container owned from another PID namespace", () => {
  it("is not an orphan although its owner's pid is dead in ours", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bplab-reaper-ns-"));
    made.push(dir);
    const pid = deadPid();
    // The holder reports its real pid and place as its own namespace sees them.
    const owner = await ForeignLockHolder.start(join(dir, "owner.lock"), { pidInNamespace: pid });
    try {
      expect(owner.owner.pid).toBe(pid);
      expect(owner.owner.pidNamespace).not.toBe(here.pidNamespace);
      expect(labContainerIsOrphaned(labContainerOwnerLabels(owner.owner.pid, owner.owner))).toBe(false);
    } finally {
      await owner.stop();
    }
  });
});

import { firmwareLabSkipReason } from "@bplab/firmware";
import { describe, expect, it } from "vitest";
import { bplab } from "./cli-support.js";

describe("bplab firmware: arguments", () => {
  it("rejects an unknown subcommand and lock state (exit 2, names the option)", async () => {
    const sub = await bplab("firmware", "boot");
    expect(sub.code).toBe(2);
    const lock = await bplab("firmware", "run", "--lock", "forever");
    expect(lock.code).toBe(2);
    expect(lock.stderr).toMatch(/--lock: must be one of upc, locked, none/);
  });

  it("--target vfio-user says it is not wired yet (exit 1) instead of booting", async () => {
    const run = await bplab("firmware", "run", "--target", "vfio-user");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/vfio-user/);
  });

  it("--image that cannot be read is a usage error (exit 2)", async () => {
    const run = await bplab("firmware", "run", "--image", "/nonexistent/bp.bin");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--image: cannot read/);
  });
});

const prepared =
  process.env.BPLAB_SKIP_QEMU === "1" ? { skip: "BPLAB_SKIP_QEMU=1" } : await firmwareLabSkipReason();
const skip = "skip" in prepared ? prepared.skip : undefined;
if (skip) console.warn(`[cli] skipping "bplab firmware run" boots: ${skip}`);

describe.skipIf(skip !== undefined)("bplab firmware run boots the lab", () => {
  it("--json: the app locks before the kernel's first line and Linux's unlock and commit fail", async () => {
    const run = await bplab("firmware", "run", "--json");
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      timing: { lockAppliedMs: number; firstKernelLineMs: number };
      os: Array<{ step: string; exit: number }>;
    };
    expect(result.timing.lockAppliedMs).toBeLessThan(result.timing.firstKernelLineMs);
    const exits = Object.fromEntries(result.os.map((o) => [o.step, o.exit]));
    expect(exits.unlock).not.toBe(0);
    expect(exits.commit).not.toBe(0);
    expect(exits["flr.commit"]).not.toBe(0);
  }, 0); // no time limit: a full OVMF + Linux boot under TCG (30-60 s on a loaded host)
});

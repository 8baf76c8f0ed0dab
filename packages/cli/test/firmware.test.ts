import { firmwareLabSkipReason, vfioUserUnavailableReason } from "@bplab/firmware";
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

  it("rejects an unknown --target (exit 2, names the choices)", async () => {
    const run = await bplab("firmware", "run", "--target", "nvme");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--target: must be one of qemu, vfio-user/);
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

const vfioUserSkip = skip ?? (await vfioUserUnavailableReason({ needsInterrupts: true }));
if (vfioUserSkip && !skip)
  console.warn(`[cli] skipping "bplab firmware run --target vfio-user": ${vfioUserSkip}`);

describe.each([
  { target: "qemu", skipReason: skip },
  { target: "vfio-user", skipReason: vfioUserSkip },
])("bplab firmware run --target $target boots the lab", ({ target, skipReason }) => {
  it.skipIf(skipReason !== undefined)(
    "--json: the app locks before the kernel's first line and Linux's unlock and commit fail",
    async () => {
      const run = await bplab("firmware", "run", "--target", target, "--json");
      expect(run.code, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as {
        target: string;
        timing: { lockAppliedMs: number; firstKernelLineMs: number };
        os: Array<{ step: string; exit: number }>;
      };
      expect(result.target).toBe(target);
      expect(result.timing.lockAppliedMs).toBeLessThan(result.timing.firstKernelLineMs);
      const exits = Object.fromEntries(result.os.map((o) => [o.step, o.exit]));
      expect(exits.unlock).not.toBe(0);
      expect(exits.commit).not.toBe(0);
      expect(exits["flr.commit"]).not.toBe(0);
    },
    0,
  ); // no time limit: a full OVMF + Linux boot under TCG (30-60 s on a loaded host)
});

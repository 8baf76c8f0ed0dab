/**
 * Firmware end to end on both devices, the patched QEMU's and the TS controller behind vfio-user
 * on stock QEMU: OVMF's NvmExpressDxe, the EFI app (the downstream library's update + lock flow),
 * then Linux with nvme-cli trying to get in. Per target:
 *   boot 1 "boot-lock": app updates BP1 and locks both BPs until power cycle → Linux fails to
 *     unlock, to commit and to reset its way out, and still reads the new image;
 *   boot 2 "power cycle": a new QEMU on the same bootpart; the app, read-only, sees both Write
 *     Locked, the new image and ABPID 0;
 *   boot 3 "negative": app in "leave unlocked" mode (and CA=111b) → the same Linux steps succeed,
 *     so the boot-lock assertions can fail;
 *   boot 4 "bad arguments": the app prints the step and the EFI status and the shell stops.
 * The downstream-sequence test checks boot 1's command trace against src/downstream.ts. The last
 * test compares what every boot observed on the two targets: it must be identical.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  commandOutcome,
  createBootpartImage,
  type GuestReport,
  parseFeatureValue,
  parseNvmeCliStatus,
  readBootPartition,
  requireResult,
  zeroFilledBootPartition,
} from "@bplab/lab";
import {
  AdminOpcode,
  BpWriteProtectionState,
  bootPartitionSizeBytes,
  bpWriteProtectionCodec,
  encodeBpWriteProtection,
  isSameStatus,
  Status,
  type StatusCode,
} from "@bplab/nvme-spec";
import { liveProcessCount } from "@bplab/qtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FirmwareBoot, runFirmwareBoot } from "../src/boot-lab.js";
import { crc32 } from "../src/crc32.js";
import type { FirmwareTarget } from "../src/device-target.js";
import { downstreamUpdateSequence } from "../src/downstream.js";
import { OVMF_CODE_ENV, OVMF_VARS_ENV, ovmfFiles } from "../src/host-tools.js";
import { OsStep, osAttemptScript } from "../src/os-attempts.js";
import { adminCommands, firmwareEvent, numberField } from "../src/serial-events.js";
import { seededImage, sha256Hex } from "./helpers/data.js";
import { firmwareLab, firmwareSkipReason, vfioUserSkipReason } from "./helpers/fw-env.js";
import { type BootObservations, bootObservations } from "./helpers/observations.js";

const { WriteLocked, WriteUnlocked, WriteLockedUntilPowerCycle } = BpWriteProtectionState;
const BPSZ = 1;
const BP_BYTES = bootPartitionSizeBytes(BPSZ);
const BOTH_LOCKED = encodeBpWriteProtection({ bp0: WriteLocked, bp1: WriteLocked });
const BOTH_UPC = encodeBpWriteProtection({
  bp0: WriteLockedUntilPowerCycle,
  bp1: WriteLockedUntilPowerCycle,
});
const EFI_ERROR_BIT = 1n << 63n;
const EFI_INVALID_PARAMETER = EFI_ERROR_BIT | 2n;

const bp0 = seededImage(BP_BYTES, "bp0");
const oldBp1 = seededImage(100 * 1024, "old-bp1");
/** The firmware's new BP1 image: shorter than the BP, so the app zero-fills (downstream writes every block). */
const newImage = seededImage(72 * 1024, "firmware-bp1");
/** What Linux tries to write. */
const osImage = seededImage(24 * 1024, "os-bp1");
const newBp1 = zeroFilledBootPartition(newImage, BP_BYTES);

const TARGETS: ReadonlyArray<{ target: FirmwareTarget; skip: string | undefined }> = [
  { target: "qemu", skip: firmwareSkipReason },
  { target: "vfio-user", skip: vfioUserSkipReason },
];

let dir: string;
const boots: Array<{ name: string; boot: FirmwareBoot }> = [];
/** Per target, per boot name: what the boot observed (helpers/observations.ts). */
const observed: Record<FirmwareTarget, Map<string, BootObservations>> = {
  qemu: new Map(),
  "vfio-user": new Map(),
};

async function boot(
  target: FirmwareTarget,
  name: string,
  bootpart: string,
  appArgs: string[],
  withLinux: boolean,
): Promise<FirmwareBoot> {
  const lab = firmwareLab();
  const image = join(dir, "bp-new.bin");
  await writeFile(image, newImage);
  const result = await runFirmwareBoot({
    qemuBinary: lab.qemu,
    bootpart,
    app: lab.app.path,
    appArgs,
    image,
    target,
    ...(withLinux ? { linux: { image: lab.guestImage, script: osAttemptScript(osImage, BPSZ) } } : {}),
  });
  boots.push({ name: `${target} ${name}`, boot: result });
  const kept = { path: bootpart, bpsz: BPSZ, bpSizeBytes: BP_BYTES };
  const bps = new Uint8Array(2 * BP_BYTES);
  bps.set(await readBootPartition(kept, 0), 0);
  bps.set(await readBootPartition(kept, 1), BP_BYTES);
  observed[target].set(name, bootObservations(result, bps));
  return result;
}

function fw(result: FirmwareBoot, name: string, where?: (f: Readonly<Record<string, string>>) => boolean) {
  const fields = firmwareEvent(result.events, name, where);
  expect(fields, `firmware event ${name}`).toBeDefined();
  return fields as Readonly<Record<string, string>>;
}

function lockValue(report: GuestReport, name: string): number {
  const outcome = commandOutcome(report, name);
  expect(outcome.exit, `${name}: ${outcome.stderr}`).toBe(0);
  return parseFeatureValue(outcome.stdout, name);
}

function expectOk(report: GuestReport, name: string): void {
  const outcome = commandOutcome(report, name);
  expect(outcome.exit, `${name} failed: ${outcome.stdout}${outcome.stderr}`).toBe(0);
}

function expectStatus(report: GuestReport, name: string, status: StatusCode): void {
  const outcome = commandOutcome(report, name);
  expect(outcome.exit, `${name} should fail`).not.toBe(0);
  const printed = parseNvmeCliStatus(outcome.stdout + outcome.stderr);
  expect(printed && isSameStatus(printed, status), `${name}: ${outcome.stdout}${outcome.stderr}`).toBe(true);
}

/**
 * Runs `body` with BPLAB_OVMF_CODE / BPLAB_OVMF_VARS naming copies of the OVMF the lab would use,
 * laid out as nixpkgs' OVMF.fd installs them (FV/OVMF_CODE.fd), as `nix develop` sets them.
 */
async function withNixStyleOvmf<T>(body: () => Promise<T>): Promise<T> {
  const source = ovmfFiles();
  const fv = join(dir, "nix-ovmf", "FV");
  await mkdir(fv, { recursive: true });
  const saved = { code: process.env[OVMF_CODE_ENV], vars: process.env[OVMF_VARS_ENV] };
  await copyFile(source.code, join(fv, "OVMF_CODE.fd"));
  await copyFile(source.vars, join(fv, "OVMF_VARS.fd"));
  process.env[OVMF_CODE_ENV] = join(fv, "OVMF_CODE.fd");
  process.env[OVMF_VARS_ENV] = join(fv, "OVMF_VARS.fd");
  try {
    return await body();
  } finally {
    for (const [name, value] of [
      [OVMF_CODE_ENV, saved.code],
      [OVMF_VARS_ENV, saved.vars],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bplab-fw-e2e-"));
});

afterAll(async () => {
  for (const { name, boot: b } of boots) {
    const t = b.timing;
    const s = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 1000).toFixed(1)} s`);
    console.log(
      `[firmware] ${name}: app start ${s(t.firmwareStartMs)}, lock ${s(t.lockAppliedMs)}, app done ${s(t.firmwareDoneMs)}, first kernel line ${s(t.firstKernelLineMs)}, guest done ${s(t.guestDoneMs)}, exit ${s(t.exitMs)}`,
    );
  }
  await rm(dir, { recursive: true, force: true });
  // Every QEMU this file started has exited and been untracked (runFirmwareBoot kills its group).
  expect(liveProcessCount()).toBe(0);
});

describe.each(TARGETS)("OVMF + the EFI app + Linux on the $target device", ({ target, skip }) => {
  if (skip) console.warn(`[firmware] the ${target} device's boots are skipped: ${skip}`);
  describe.skipIf(skip !== undefined)("boots", () => {
    let locked: FirmwareBoot;
    let cycled: FirmwareBoot;
    let unlocked: FirmwareBoot;
    let lockedBootpart: string;
    let afterLocked: { bp0: Uint8Array; bp1: Uint8Array };
    beforeAll(async () => {
      const image = (file: string) => join(dir, `${target}-${file}`);
      lockedBootpart = (await createBootpartImage(image("locked.img"), { bpsz: BPSZ, bp0, bp1: oldBp1 }))
        .path;
      locked = await boot(
        target,
        "boot-lock",
        lockedBootpart,
        ["update", "--bpid", "1", "--lock", "upc"],
        true,
      );
      const kept = { path: lockedBootpart, bpsz: BPSZ, bpSizeBytes: BP_BYTES };
      afterLocked = { bp0: await readBootPartition(kept, 0), bp1: await readBootPartition(kept, 1) };
      cycled = await withNixStyleOvmf(() => boot(target, "power cycle", lockedBootpart, ["inspect"], false));
      const openBootpart = (await createBootpartImage(image("open.img"), { bpsz: BPSZ, bp0, bp1: oldBp1 }))
        .path;
      unlocked = await boot(
        target,
        "negative",
        openBootpart,
        ["update", "--lock", "none", "--activate"],
        true,
      );
    });

    it("boot-lock: the app sees both BPs Write Locked, writes BP1, verifies it and locks both until power cycle", () => {
      expect(locked.appStatus).toBe(0n);
      expect(numberField(fw(locked, "registers"), "bps")).toBe(1);
      const identify = fw(locked, "identify");
      expect(numberField(identify, "lpeds")).toBe(1);
      expect(numberField(identify, "bpcap")).toBe(0x05);
      expect(
        numberField(
          fw(locked, "bp-log", (f) => f.bpid === "0"),
          "crc32",
        ),
      ).toBe(crc32(bp0));
      const bp1Mmio = fw(locked, "bp-mmio", (f) => f.bpid === "1");
      expect(numberField(bp1Mmio, "crc32")).toBe(crc32(zeroFilledBootPartition(oldBp1, BP_BYTES)));
      expect(bp1Mmio["same-as-log"]).toBe("1");
      expect(
        numberField(
          fw(locked, "protection", (f) => f.when === "before"),
          "value",
        ),
      ).toBe(BOTH_LOCKED);
      expect(numberField(fw(locked, "verify"), "match")).toBe(1);
      expect(
        numberField(
          fw(locked, "protection", (f) => f.when === "after"),
          "value",
        ),
      ).toBe(BOTH_UPC);
      expect(afterLocked.bp1).toEqual(newBp1);
      expect(afterLocked.bp0).toEqual(bp0);
    });

    it("the lock is applied before the first line of the Linux kernel", () => {
      const { lockAppliedMs, firstKernelLineMs } = locked.timing;
      expect(lockAppliedMs).toBeDefined();
      expect(firstKernelLineMs).toBeDefined();
      expect(lockAppliedMs as number).toBeLessThan(firstKernelLineMs as number);
      const lockIndex = locked.events.findIndex((e) => e.kind === "firmware" && e.name === "lock");
      // The first line Linux prints: a kernel line (warnings pass `quiet loglevel=5`) or /init's.
      const kernelIndex = locked.events.findIndex((e) => e.kind === "kernel" || e.kind === "guest");
      expect(kernelIndex).toBeGreaterThan(0);
      expect(lockIndex).toBeLessThan(kernelIndex);
    });

    it("boot-lock: Linux cannot unlock (1h/0Eh), commit (1h/1Eh) nor reset its way out (nvme reset, FLR)", () => {
      const guest = locked.guest as GuestReport;
      expect(guest.doneStatus).toBe(0);
      expect(lockValue(guest, OsStep.lockAtHandover)).toBe(BOTH_UPC);
      expectStatus(guest, OsStep.unlock, Status.FeatureNotChangeable);
      expectOk(guest, OsStep.download);
      expectStatus(guest, OsStep.commit, Status.BootPartitionWriteProhibited);
      expectOk(guest, OsStep.reset);
      expect(lockValue(guest, OsStep.lockAfterReset)).toBe(BOTH_UPC);
      expectStatus(guest, OsStep.resetCommit, Status.BootPartitionWriteProhibited);
      expectOk(guest, OsStep.flr);
      expect(lockValue(guest, OsStep.lockAfterFlr)).toBe(BOTH_UPC);
      expectStatus(guest, OsStep.flrCommit, Status.BootPartitionWriteProhibited);
    });

    it("boot-lock: Linux still reads the firmware's new image through Get Log Page 15h", () => {
      const guest = locked.guest as GuestReport;
      expectOk(guest, OsStep.readBp1);
      expect(requireResult(guest, OsStep.readBp1Sha)).toBe(sha256Hex(newBp1));
    });

    it("power cycle: a new QEMU process; the app (read-only) sees both Write Locked, the new image and ABPID 0", () => {
      expect(cycled.appStatus).toBe(0n);
      expect(
        numberField(
          fw(cycled, "protection", (f) => f.when === "before"),
          "value",
        ),
      ).toBe(BOTH_LOCKED);
      expect(
        numberField(
          fw(cycled, "bp-log", (f) => f.bpid === "1"),
          "crc32",
        ),
      ).toBe(crc32(newBp1));
      expect(
        numberField(
          fw(cycled, "bp-mmio", (f) => f.bpid === "1"),
          "crc32",
        ),
      ).toBe(crc32(newBp1));
      expect(numberField(fw(cycled, "registers"), "abpid")).toBe(0);
      expect(firmwareEvent(cycled.events, "set-lock")).toBeUndefined();
      expect(cycled.events.some((e) => e.kind === "kernel")).toBe(false);
    });

    it("power cycle: the boot ran the OVMF that BPLAB_OVMF_CODE / BPLAB_OVMF_VARS name (the Nix shell's)", () => {
      const code = join(dir, "nix-ovmf", "FV", "OVMF_CODE.fd");
      expect(cycled.argv).toContain(`if=pflash,format=raw,unit=0,readonly=on,file=${code}`);
      expect(firmwareEvent(cycled.events, "start")).toBeDefined();
    });

    it("negative: with the app leaving BP1 unlocked, the same Linux steps succeed", () => {
      expect(unlocked.appStatus).toBe(0n);
      expect(fw(unlocked, "lock").mode).toBe("none");
      expect(
        numberField(
          fw(unlocked, "registers", (f) => f.abpid === "1"),
          "abpid",
        ),
      ).toBe(1);
      const guest = unlocked.guest as GuestReport;
      const open = encodeBpWriteProtection({ bp0: WriteLocked, bp1: WriteUnlocked });
      expect(lockValue(guest, OsStep.lockAtHandover)).toBe(open);
      expectOk(guest, OsStep.unlock);
      expectOk(guest, OsStep.commit);
      expectOk(guest, OsStep.reset);
      expect(lockValue(guest, OsStep.lockAfterReset)).toBe(open);
      expectOk(guest, OsStep.resetCommit);
      expectOk(guest, OsStep.flr);
      expect(lockValue(guest, OsStep.lockAfterFlr)).toBe(open);
      expectOk(guest, OsStep.flrCommit);
      expect(requireResult(guest, OsStep.readBp1Sha)).toBe(
        sha256Hex(zeroFilledBootPartition(osImage, BP_BYTES)),
      );
    });

    it("the downstream sequence exactly: order, CDW values, FWUG pieces, CDW12 hint and the re-sent other-BP value", () => {
      const fwug = numberField(fw(locked, "identify"), "fwug");
      const expected = downstreamUpdateSequence({
        bpsz: BPSZ,
        fwug,
        bpid: 1,
        powerOnState: BOTH_LOCKED,
        lock: true,
      });
      // The library's commands are the ones between loading the image and the lock line; the app's
      // own extras there are the read-back (Get Log Page), which the library does not send.
      const start = locked.events.findIndex((e) => e.kind === "firmware" && e.name === "image");
      const end = locked.events.findIndex((e) => e.kind === "firmware" && e.name === "lock");
      const window = adminCommands(locked.events.slice(start, end)).filter(
        (c) => c.opcode !== AdminOpcode.GetLogPage,
      );
      const seen = window.map((c) => ({
        opcode: c.opcode,
        cdw10: c.cdw10,
        cdw11: c.cdw11,
        cdw12: c.cdw12,
        length: c.length,
      }));
      expect(seen).toEqual(
        expected.map(({ opcode, cdw10, cdw11, cdw12, length }) => ({ opcode, cdw10, cdw11, cdw12, length })),
      );
      // Every command succeeded, and each Get returned what the spec says the previous Set left.
      for (const [index, command] of window.entries()) {
        expect({ sct: command.sct, sc: command.sc, efi: command.efiStatus }).toEqual({
          sct: 0,
          sc: 0,
          efi: 0n,
        });
        const dw0 = expected[index]?.dw0;
        if (dw0 !== undefined) expect(command.dw0, expected[index]?.what).toBe(dw0);
      }
      // The defect: locking BP0 re-sends BP1 = 001b (Write Unlocked) instead of 000b (no change).
      const lockBp0 = window.filter((c) => c.opcode === AdminOpcode.SetFeatures)[1];
      expect(bpWriteProtectionCodec.decode(lockBp0?.cdw11 ?? 0)).toEqual({
        bp0: WriteLockedUntilPowerCycle,
        bp1: WriteUnlocked,
      });
      // 32 pieces of FWUG x 4 KiB cover the whole BP although the image is 72 KiB.
      expect(window.filter((c) => c.opcode === AdminOpcode.FirmwareImageDownload)).toHaveLength(
        BP_BYTES / 4096,
      );
    });

    it("bad arguments: the app prints the step and EFI_INVALID_PARAMETER, and the shell does not boot Linux", async () => {
      const bootpart = (await createBootpartImage(join(dir, `${target}-args.img`), { bpsz: BPSZ })).path;
      const result = await boot(target, "bad arguments", bootpart, ["update", "--bpid", "7"], true);
      expect(result.appStatus).toBe(EFI_INVALID_PARAMETER);
      const error = fw(result, "error");
      expect(error.step).toBe("args");
      expect(BigInt(error.efi as string)).toBe(EFI_INVALID_PARAMETER);
      expect(fw(result, "bad-argument").arg).toBe("--bpid");
      // The shell's %lasterror% is the status without the EFI error bit (bit 63).
      const exit = result.events.find((e) => e.kind === "shell" && e.name === "app-exit");
      const shellStatus = exit?.kind === "shell" ? BigInt(exit.fields.status as string) : undefined;
      expect(shellStatus).toBe(EFI_INVALID_PARAMETER & ~EFI_ERROR_BIT);
      expect(result.events.some((e) => e.kind === "kernel" || e.kind === "guest")).toBe(false);
    });
  });
});

describe.skipIf(vfioUserSkipReason !== undefined)("the two devices", () => {
  it("every boot observed the same on the patched QEMU device and on the vfio-user device", () => {
    const names = ["boot-lock", "power cycle", "negative", "bad arguments"];
    expect([...observed.qemu.keys()].sort()).toEqual([...names].sort());
    expect([...observed["vfio-user"].keys()].sort()).toEqual([...names].sort());
    for (const name of names) {
      const qemu = observed.qemu.get(name) as BootObservations;
      // Not vacuous: each boot saw the app's lines (bad arguments: bad-argument, error, done), and
      // the Linux boots saw nvme-cli's steps.
      expect(qemu.app.length, name).toBeGreaterThanOrEqual(3);
      if (name === "boot-lock" || name === "negative") {
        expect(qemu.app.length, name).toBeGreaterThan(40);
        expect(qemu.os.length, name).toBe(Object.keys(OsStep).length - 1);
      }
      expect(observed["vfio-user"].get(name), name).toEqual(qemu);
    }
  });
});

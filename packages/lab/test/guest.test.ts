/**
 * End to end: a Debian 12 Linux guest (kernel 6.1, nvme-cli 2.3) on each NVMe device target: the
 * patched QEMU's nvme device, and the TS controller behind stock QEMU's vfio-user-pci (interrupts
 * through eventfds). The real Linux NVMe driver binds the device; nvme-cli reads the Identify data,
 * reads the Boot Partitions the host wrote, and walks the lock rules (FID 85h) with a controller
 * reset and a power cycle. Three boots per target, one after the other: identify, lock flow, power
 * cycle; the same assertions on both targets, and at the end both must have observed the same.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BPCAP_LAB_DEFAULT,
  BpWriteProtectionState,
  bootPartitionSizeBytes,
  decodeBootPartitionLogHeader,
  decodeIdentifyController,
  encodeBpWriteProtection,
  FRMW_LAB_DEFAULT,
  FWUG_LAB_DEFAULT,
  featureCapabilitiesCodec,
  isSameStatus,
  Oacs,
  Status,
  type StatusCode,
} from "@bplab/nvme-spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BootpartImage,
  createBootpartImage,
  readBootPartition,
  zeroFilledBootPartition,
} from "../src/bootpart-image.js";
import { GUEST_DEVICE_TARGETS, type GuestDeviceTarget } from "../src/device-target.js";
import { type GuestRun, runGuest } from "../src/guest-runner.js";
import {
  bootPartLogIgnoresLsp,
  parseFeatureValue,
  parseNvmeCliStatus,
  parseNvmeVersions,
} from "../src/nvme-cli.js";
import { commandOutcome, type GuestReport, requireBlob, requireResult } from "../src/serial-protocol.js";
import { patternBytes, sha256Hex } from "./helpers/data.js";
import { identifyScript, lockFlowScript, powerCycleScript } from "./helpers/flows.js";
import { labGuest, labSkipReason } from "./helpers/lab-env.js";
import { nvmeObservations, type Observations } from "./helpers/observations.js";
import { guestQemuProcesses, guestRunDir, isRunning } from "./helpers/processes.js";
import { printTranscript } from "./helpers/transcript.js";

const { WriteLocked, WriteUnlocked, WriteLockedUntilPowerCycle } = BpWriteProtectionState;
const BOTH_LOCKED = encodeBpWriteProtection({ bp0: WriteLocked, bp1: WriteLocked });
const BPSZ = 1;
const BP_BYTES = bootPartitionSizeBytes(BPSZ);
/** What the host writes into BP1 before the first boot: shorter than the BP, zero-filled after. */
const OLD_BP1_BYTES = 100 * 1024;
/** The new BP1 image: 96 KiB, a multiple of FWUG (4 KiB), shorter than the BP to show MC-21. */
const NEW_IMAGE_BYTES = 96 * 1024;
const SEED = Object.freeze({ bp0: 0x0b00, bp1: 0x0b01, newBp1: 0x0b1e });

const bp0 = patternBytes(BP_BYTES, SEED.bp0);
const bp1 = patternBytes(OLD_BP1_BYTES, SEED.bp1);
const newImage = patternBytes(NEW_IMAGE_BYTES, SEED.newBp1);

/** Per target, per boot: what nvme-cli observed, compared across the targets at the end. */
const observed = new Map<GuestDeviceTarget, Record<string, Observations>>();

function lockValue(report: GuestReport, name: string): number {
  const outcome = commandOutcome(report, name);
  expect(outcome.exit, `${name}: ${outcome.stderr}`).toBe(0);
  return parseFeatureValue(outcome.stdout, name);
}

function expectSuccess(report: GuestReport, name: string): string {
  const outcome = commandOutcome(report, name);
  expect(outcome.exit, `${name} failed: ${outcome.stdout}${outcome.stderr}`).toBe(0);
  return outcome.stdout;
}

function expectStatus(report: GuestReport, name: string, status: StatusCode): void {
  const outcome = commandOutcome(report, name);
  expect(outcome.exit, `${name} should fail`).not.toBe(0);
  const printed = parseNvmeCliStatus(outcome.stdout + outcome.stderr);
  expect(printed, `${name} printed no NVMe status: ${outcome.stdout}${outcome.stderr}`).toBeDefined();
  expect(printed && isSameStatus(printed, status), `${name}: ${printed?.text}`).toBe(true);
}

describe.each(GUEST_DEVICE_TARGETS)("on the %s device", (device) => {
  const runs: Array<{ name: string; run: GuestRun }> = [];
  let dir: string;
  let bootpart: BootpartImage;
  const skipReason = labSkipReason(device);

  async function boot(
    name: string,
    options: Omit<Parameters<typeof runGuest>[0], "image" | "qemuBinary" | "device">,
  ) {
    const { image, qemu } = labGuest(device);
    const run = await runGuest({ image, device, ...(qemu ? { qemuBinary: qemu } : {}), ...options });
    runs.push({ name, run });
    observed.set(device, { ...observed.get(device), [name]: nvmeObservations(run.report) });
    return run.report;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bplab-lab-e2e-"));
    bootpart = await createBootpartImage(join(dir, "bootpart.img"), { bpsz: BPSZ, bp0, bp1 });
  });

  afterAll(async () => {
    printTranscript(runs);
    await rm(dir, { recursive: true, force: true });
  });

  describe.skipIf(skipReason !== undefined)("a Linux guest with nvme-cli 2.3", () => {
    let report: GuestReport;
    beforeAll(async () => {
      report = await boot("identify", { script: identifyScript(), bootpart, scriptDelivery: "cmdline" });
    });

    it("boots, binds the Linux nvme driver and runs the script passed on the kernel command line", () => {
      expect(requireResult(report, "boot.nvme0")).toBe("present");
      expect(report.doneStatus).toBe(0);
      expect(parseNvmeVersions(expectSuccess(report, "version")).nvmeCli).toMatch(/^2\./);
    });

    it("id-ctrl -o json: OACS has FWDS, FRMW 03h, FWUG 1", () => {
      const json = JSON.parse(expectSuccess(report, "idctrl.json")) as Record<string, unknown>;
      expect(Number(json.oacs) & Oacs.FirmwareDownload).toBe(Oacs.FirmwareDownload);
      expect(json.frmw).toBe(FRMW_LAB_DEFAULT);
      expect(json.fwug).toBe(FWUG_LAB_DEFAULT);
    });

    it("BPCAP 05h, decoded on the host from `id-ctrl --raw-binary` (nvme-cli 2.3 does not print BPCAP)", () => {
      const raw = requireBlob(report, "idctrl.raw.stdout");
      const identify = decodeIdentifyController(raw);
      expect(identify.bpcap).toBe(BPCAP_LAB_DEFAULT);
      const json = JSON.parse(expectSuccess(report, "idctrl.json")) as Record<string, unknown>;
      expect(identify.oacs).toBe(json.oacs);
      if ("bpcap" in json) expect(json.bpcap).toBe(BPCAP_LAB_DEFAULT);
    });

    it("get-feature 85h at power-on: both BPs Write Locked (12h); default 12h, capabilities changeable (MC-33)", () => {
      expect(lockValue(report, "lock.current")).toBe(BOTH_LOCKED);
      expect(lockValue(report, "lock.default")).toBe(BOTH_LOCKED);
      const capabilities = lockValue(report, "lock.capabilities");
      expect(capabilities).toBe(featureCapabilitiesCodec.encode({ changeable: true }));
    });
  });

  describe.skipIf(skipReason !== undefined)(
    "the lock flow with nvme-cli, a controller reset and a power cycle",
    () => {
      let flow: GuestReport;
      let afterFlow: { bp0: Uint8Array; bp1: Uint8Array };
      let cycled: GuestReport;
      let libnvme: string;
      const expectedBp1 = zeroFilledBootPartition(newImage, BP_BYTES);
      beforeAll(async () => {
        flow = await boot("lock flow", { script: lockFlowScript(newImage, BPSZ), bootpart });
        afterFlow = { bp0: await readBootPartition(bootpart, 0), bp1: await readBootPartition(bootpart, 1) };
        cycled = await boot("power cycle", { script: powerCycleScript(newImage, BPSZ), bootpart });
        libnvme = parseNvmeVersions(commandOutcome(flow, "version").stdout).libnvme;
      });

      it("boot-part-log returns the BP0 image the host wrote (hash compare)", () => {
        expectSuccess(flow, "bootpartlog0");
        expect(requireResult(flow, "bootpartlog0.sha")).toBe(sha256Hex(bp0));
      });

      it("boot-part-log --lsp=1 ignores the lsp on libnvme < 1.7 (libnvme#734): it returns BP0", () => {
        expectSuccess(flow, "bootpartlog1");
        const expected = bootPartLogIgnoresLsp(libnvme) ? bp0 : zeroFilledBootPartition(bp1, BP_BYTES);
        expect(requireResult(flow, "bootpartlog1.sha")).toBe(sha256Hex(expected));
      });

      it("get-log 15h --lsp=N returns each BP with its header: LID 15h, BPSZ 1, ABPID 0", () => {
        expect(requireResult(flow, "getlog0.before.sha")).toBe(sha256Hex(bp0));
        expect(requireResult(flow, "getlog1.before.sha")).toBe(
          sha256Hex(zeroFilledBootPartition(bp1, BP_BYTES)),
        );
        const header = decodeBootPartitionLogHeader(requireBlob(flow, "getlog1.before.header"));
        expect(header).toEqual({ bpsz: BPSZ, abpid: 0 });
      });

      it("get-feature 85h shows 12h at power-on; a commit to locked BP1 fails with Boot Partition Write Prohibited (1h/1Eh)", () => {
        expect(lockValue(flow, "lock.poweron")).toBe(BOTH_LOCKED);
        expectSuccess(flow, "locked.download");
        expectStatus(flow, "locked.commit", Status.BootPartitionWriteProhibited);
      });

      it("set-feature 85h 08h unlocks BP1 only; download + commit succeed and the read-back matches (MC-21 zero fill)", () => {
        expectSuccess(flow, "unlock");
        expect(lockValue(flow, "lock.unlocked")).toBe(
          encodeBpWriteProtection({ bp0: WriteLocked, bp1: WriteUnlocked }),
        );
        expectSuccess(flow, "unlocked.download");
        expect(expectSuccess(flow, "unlocked.commit")).toMatch(
          /Success committing firmware action:6 slot:0 bpid:1/,
        );
        expect(requireResult(flow, "getlog1.after.sha")).toBe(sha256Hex(expectedBp1));
      });

      it("set-feature 85h 18h (WLUPC): a commit fails, and no Set leaves WLUPC (Feature Not Changeable, MC-30)", () => {
        expectSuccess(flow, "wlupc");
        const wlupc = encodeBpWriteProtection({ bp0: WriteLocked, bp1: WriteLockedUntilPowerCycle });
        expect(lockValue(flow, "lock.wlupc")).toBe(wlupc);
        expectStatus(flow, "wlupc.commit", Status.BootPartitionWriteProhibited);
        expectStatus(flow, "wlupc.unlock", Status.FeatureNotChangeable);
      });

      it("nvme reset (a Controller Level Reset) keeps the lock, and commits still fail (MC-40)", () => {
        expectSuccess(flow, "reset");
        expect(lockValue(flow, "lock.reset")).toBe(
          encodeBpWriteProtection({ bp0: WriteLocked, bp1: WriteLockedUntilPowerCycle }),
        );
        expectStatus(flow, "reset.commit", Status.BootPartitionWriteProhibited);
      });

      it("CA=111b activates BP1 although it is locked (MC-23)", () => {
        expect(expectSuccess(flow, "activate")).toMatch(/action:7 slot:0 bpid:1/);
      });

      it("the device wrote the new BP1 into the bootpart file and left BP0 alone", () => {
        expect(sha256Hex(afterFlow.bp1)).toBe(sha256Hex(expectedBp1));
        expect(sha256Hex(afterFlow.bp0)).toBe(sha256Hex(bp0));
      });

      it("after a power cycle (new QEMU, same image): 12h again, the new BP1 and ABPID 1 persisted, commits fail", () => {
        expect(lockValue(cycled, "lock.poweron")).toBe(BOTH_LOCKED);
        expect(requireResult(cycled, "getlog1.sha")).toBe(sha256Hex(expectedBp1));
        expect(requireResult(cycled, "getlog0.sha")).toBe(sha256Hex(bp0));
        expect(decodeBootPartitionLogHeader(requireBlob(cycled, "getlog1.header"))).toEqual({
          bpsz: BPSZ,
          abpid: 1,
        });
        expectStatus(cycled, "locked.commit", Status.BootPartitionWriteProhibited);
      });

      it("leaves no qemu-system process behind", () => {
        expect(runs.length).toBeGreaterThan(0);
        for (const { run } of runs) expect(isRunning(run.pid)).toBe(false);
        expect(guestQemuProcesses(runs.map(({ run }) => guestRunDir(run.argv)))).toEqual([]);
      });
    },
  );
});

const comparisonSkip = GUEST_DEVICE_TARGETS.map((device) => labSkipReason(device))
  .filter((reason) => reason !== undefined)
  .join("; ");
if (comparisonSkip) console.warn(`[lab] skipping the comparison of the device targets: ${comparisonSkip}`);

describe.skipIf(comparisonSkip !== "")("the patched nvme device and the vfio-user device", () => {
  it("give nvme-cli identical observations: exit statuses, NVMe statuses, FID 85h values, read-back hashes, log headers", () => {
    const [first, ...others] = GUEST_DEVICE_TARGETS.map((device) => observed.get(device));
    expect(Object.keys(first ?? {})).toEqual(["identify", "lock flow", "power cycle"]);
    for (const other of others) expect(other).toEqual(first);
  });
});

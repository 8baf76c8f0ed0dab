import { describe, expect, it } from "vitest";
import { buildDoctorReport, type DoctorFacts, formatDoctorReport } from "../src/doctor.js";
import { interpretVersionProbe } from "../src/engine.js";

const everything: DoctorFacts = {
  dockerClient: "/usr/bin/docker",
  engine: { ok: true, serverVersion: "20.10.24+dfsg1" },
  debootstrap: true,
  baseImage: true,
  labImage: true,
  patchedQemu: "/cache/qemu/k/build/qemu-system-x86_64",
  unpatchedQemu: "/cache/qemu-unpatched/k/build/qemu-system-x86_64",
  ovmf: true,
  gnuEfi: true,
  mtools: true,
  nvmeCli: true,
  usocket: true,
  nix: "/usr/bin/nix",
};

describe("labDoctor's report", () => {
  it("is ok and lists no fix when everything is present", () => {
    const report = buildDoctorReport(everything);
    expect(report.ok).toBe(true);
    expect(report.missing).toEqual([]);
    expect(report.checks.every((c) => c.fix === undefined)).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual([
      "docker client",
      "docker engine running",
      "debootstrap",
      "base image",
      "lab image",
      "patched QEMU",
      "unpatched QEMU",
      "OVMF",
      "gnu-efi",
      "mtools",
      "nvme-cli",
      "usocket",
      "nix",
    ]);
    expect(formatDoctorReport(report)).toContain("everything the lab needs is present");
  });

  it("names each missing piece with the command that fixes it", () => {
    const report = buildDoctorReport({
      ...everything,
      engine: interpretVersionProbe({
        exitCode: 1,
        stdout: "",
        stderr:
          "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
      }),
      baseImage: undefined,
      labImage: undefined,
      patchedQemu: undefined,
      ovmf: false,
      usocket: "Cannot find module 'usocket'",
      nix: undefined,
    });
    expect(report.ok).toBe(false);
    expect(report.missing).toEqual([
      "docker engine running",
      "base image",
      "lab image",
      "patched QEMU",
      "OVMF",
      "usocket",
      "nix",
    ]);
    const fix = (name: string) => report.checks.find((c) => c.name === name)?.fix;
    expect(fix("docker engine running")).toMatch(/^dockerd /);
    expect(fix("lab image")).toBe("bplab lab image");
    expect(fix("patched QEMU")).toBe("pnpm --filter @bplab/qemu-patches run build:qemu");
    expect(fix("OVMF")).toMatch(/apt-get install .*ovmf/);
    expect(fix("nix")).toMatch(/nix-bin/);
    expect(report.checks.find((c) => c.name === "lab image")?.detail).toMatch(/unknown \(no Docker engine/);
    const text = formatDoctorReport(report);
    expect(text).toMatch(/MISSING\s+patched QEMU/);
    expect(text).toContain("fix: bplab lab image");
    expect(text.trimEnd().split("\n").at(-1)).toBe(
      "missing: docker engine running, base image, lab image, patched QEMU, OVMF, usocket, nix",
    );
  });
});

describe("interpretVersionProbe", () => {
  it("accepts a daemon that answers with its version", () => {
    expect(interpretVersionProbe({ exitCode: 0, stdout: "28.2.2\n", stderr: "" })).toEqual({
      ok: true,
      serverVersion: "28.2.2",
    });
  });

  it("says the client is missing when docker cannot start, with the install command", () => {
    const probe = interpretVersionProbe({ exitCode: null, stdout: "", stderr: "spawn docker ENOENT" });
    expect(probe).toMatchObject({ ok: false, reason: "no docker client on PATH" });
    expect(probe.fix).toMatch(/apt-get install .*docker\.io/);
  });

  it("tells a stopped daemon and a socket without permission apart", () => {
    expect(
      interpretVersionProbe({
        exitCode: 1,
        stdout: "",
        stderr:
          "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
      }).reason,
    ).toMatch(/not running/);
    expect(
      interpretVersionProbe({
        exitCode: 1,
        stdout: "",
        stderr:
          "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock",
      }).reason,
    ).toMatch(/permission/);
  });

  it("never calls an empty answer ok", () => {
    expect(interpretVersionProbe({ exitCode: 0, stdout: "\n", stderr: "" }).ok).toBe(false);
  });
});

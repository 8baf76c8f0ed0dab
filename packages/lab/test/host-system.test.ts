import { describe, expect, it } from "vitest";
import { CommandFailedError, GuestBuildError, HostUnsupportedError, LabError } from "../src/errors.js";
import {
  candidateVersion,
  ensureHostPackages,
  hostBlockers,
  newestPackageMatching,
  parseLddOutput,
  runChecked,
  runCommand,
  withoutUrls,
} from "../src/host-system.js";
import { fakeRunner } from "./helpers/fake-runner.js";

const root = { isLinux: true, isX64: true, isDebian: true, isRoot: true };

// `ldd /usr/sbin/nvme` on Debian 12 (nvme-cli 2.3), shortened.
const NVME_LDD = `\tlinux-vdso.so.1 (0x00007fa529864000)
\tlibnvme.so.1 => /lib/x86_64-linux-gnu/libnvme.so.1 (0x00007fa529746000)
\tlibjson-c.so.5 => /lib/x86_64-linux-gnu/libjson-c.so.5 (0x00007fa529728000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fa529527000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007fa529866000)
`;

describe("parseLddOutput", () => {
  it("lists every library file and the loader, not the vDSO", () => {
    expect(parseLddOutput(NVME_LDD)).toEqual([
      "/lib/x86_64-linux-gnu/libnvme.so.1",
      "/lib/x86_64-linux-gnu/libjson-c.so.5",
      "/lib/x86_64-linux-gnu/libc.so.6",
      "/lib64/ld-linux-x86-64.so.2",
    ]);
  });

  it("fails on a library the loader cannot find, naming it", () => {
    expect(() => parseLddOutput("\tlibnvme.so.1 => not found\n", "/usr/sbin/nvme")).toThrow(
      /\/usr\/sbin\/nvme: libnvme\.so\.1 not found/,
    );
  });
});

describe("ensureHostPackages", () => {
  const dpkg = (installed: Record<string, string>) => (command: string, args: readonly string[]) => {
    if (command !== "dpkg-query") return {};
    const version = installed[args[args.length - 1] as string];
    return version ? { stdout: `install ok installed\t${version}` } : { exitCode: 1 };
  };

  it("installs nothing when every package is there and returns their versions", async () => {
    const { runner, calls } = fakeRunner(
      dpkg({ "nvme-cli": "2.4+really2.3-3", "busybox-static": "1:1.35.0" }),
    );
    const versions = await ensureHostPackages(runner, ["nvme-cli", "busybox-static"], root);
    expect(versions).toEqual({ "nvme-cli": "2.4+really2.3-3", "busybox-static": "1:1.35.0" });
    expect(calls.some((call) => call.command === "apt-get")).toBe(false);
  });

  it("installs what is missing with apt-get as root", async () => {
    const installed: Record<string, string> = { "busybox-static": "1:1.35.0" };
    const { runner, calls } = fakeRunner((command, args) => {
      if (command === "apt-get") installed["nvme-cli"] = "2.4+really2.3-3";
      return dpkg(installed)(command, args);
    });
    await ensureHostPackages(runner, ["nvme-cli", "busybox-static"], root);
    const apt = calls.find((call) => call.command === "apt-get");
    expect(apt?.args).toContain("install");
    expect(apt?.args.slice(-1)).toEqual(["nvme-cli"]);
  });

  it("names the missing packages when it may not install them", async () => {
    const { runner } = fakeRunner(dpkg({}));
    await expect(ensureHostPackages(runner, ["nvme-cli"], { ...root, isRoot: false })).rejects.toThrow(
      HostUnsupportedError,
    );
    await expect(ensureHostPackages(runner, ["nvme-cli"], { ...root, isRoot: false })).rejects.toThrow(
      /not root and missing Debian packages: nvme-cli/,
    );
  });

  it("fails when apt-get ran but the package is still missing", async () => {
    const { runner } = fakeRunner(dpkg({}));
    await expect(ensureHostPackages(runner, ["nvme-cli"], root)).rejects.toThrow(GuestBuildError);
  });
});

describe("apt queries", () => {
  it("reads the candidate version, and (none) as unknown", async () => {
    const known = fakeRunner(() => ({
      stdout: "linux-image-6.1.0-56-amd64:\n  Installed: (none)\n  Candidate: 6.1.192-2\n",
    }));
    expect(await candidateVersion(known.runner, "linux-image-6.1.0-56-amd64")).toBe("6.1.192-2");
    const gone = fakeRunner(() => ({ stdout: "x:\n  Installed: (none)\n  Candidate: (none)\n" }));
    expect(await candidateVersion(gone.runner, "x")).toBeUndefined();
  });

  it("picks the newest matching package by number, not by text", async () => {
    const { runner } = fakeRunner(() => ({
      stdout:
        "linux-image-6.1.0-9-amd64 - Linux 6.1\nlinux-image-6.1.0-56-amd64 - Linux 6.1\nlinux-image-6.1.0-10-amd64 - x\n",
    }));
    expect(await newestPackageMatching(runner, "^linux-image")).toBe("linux-image-6.1.0-56-amd64");
  });
});

describe("progress lines", () => {
  it("never carry a mirror URL", () => {
    expect(withoutUrls("Get:1 https://mirror.example/debian bookworm/main amd64 nvme-cli 2.3 [500 kB]")).toBe(
      "Get:1 <mirror> bookworm/main amd64 nvme-cli 2.3 [500 kB]",
    );
    expect(withoutUrls("Fetched 70.6 MB in 0s")).toBe("Fetched 70.6 MB in 0s");
  });
});

describe("host blockers and commands", () => {
  it("names each reason the guest cannot be built", () => {
    expect(hostBlockers(root)).toEqual([]);
    expect(hostBlockers({ isLinux: false, isX64: false, isDebian: false, isRoot: false })).toHaveLength(3);
  });

  it("runs a real command, streams its lines and reports a failure with its output", async () => {
    const lines: string[] = [];
    const ok = await runCommand("sh", ["-c", "echo one; echo two >&2"], {
      onLine: (line) => lines.push(line),
    });
    expect(ok.exitCode).toBe(0);
    expect(lines.sort()).toEqual(["one", "two"]);
    await expect(runChecked(runCommand, "sh", ["-c", "echo broken >&2; exit 3"])).rejects.toThrow(
      CommandFailedError,
    );
    await expect(runChecked(runCommand, "sh", ["-c", "echo broken >&2; exit 3"])).rejects.toThrow(
      /exit 3.*\n.*broken/,
    );
    const failure = await runChecked(runCommand, "false", []).catch((thrown: unknown) => thrown);
    // node-kit's one CommandFailedError, with the lab's code, still caught as a LabError
    expect(failure).toBeInstanceOf(LabError);
    expect(failure).toMatchObject({ code: "LAB_COMMAND_FAILED", exitCode: 1 });
    expect((await runCommand("/nonexistent/command", [])).exitCode).toBeNull();
  });
});

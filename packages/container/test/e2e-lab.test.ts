/**
 * The lab in its container, end to end: the lab image (built or reused by ensureLabImage) runs
 * the core ↔ QEMU conformance matrix, the Linux nvme-cli lock flow and the firmware boot-lock
 * boot, and each gives the same results as the same command on this host. Then several lab
 * containers at once, each with its own state directory and /tmp, prove there is no cross-talk.
 * Without a Docker engine (or with BPLAB_SKIP_QEMU=1) the suite skips and prints why.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { detectHostFacts, type GuestScript, hostBlockers } from "@bplab/lab";
import { runCommand } from "@bplab/node-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeEngine } from "../src/engine.js";
import {
  LAB_CONTAINER_INBOX_DIR,
  LAB_CONTAINER_STATE_DIR,
  type LabContainer,
  labContainerImage,
  parseJsonOutput,
  reapLabContainers,
  startLabContainer,
  withLabContainer,
} from "../src/lab-container.js";
import {
  type GuestFlowJob,
  type GuestFlowResult,
  runGuestFlowInContainer,
  runGuestFlowOnHost,
} from "../src/lab-container-guest.js";

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
const HOST_BPLAB = join(PACKAGE_DIR, "..", "cli", "dist", "bin.js");
/** The pod script of docker/k8s/lab-job.yaml. */
const K8S_RUN_LAB = join(PACKAGE_DIR, "..", "..", "docker", "k8s", "run-lab.sh");
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const patternBytes = (length: number) => new Uint8Array(randomBytes(length));

/**
 * The guest scripts of @bplab/lab's own end-to-end test (its test/helpers/flows.ts), so the
 * container runs exactly the lab's lock flow. Loaded by path at run time: they are test fixtures
 * of another package, outside this package's TypeScript root.
 */
interface LabFlows {
  lockFlowScript(newImage: Uint8Array, bpsz: number): GuestScript;
  powerCycleScript(newImage: Uint8Array, bpsz: number): GuestScript;
}
const LAB_FLOWS = join(PACKAGE_DIR, "..", "lab", "test", "helpers", "flows.ts");

async function skipReason(): Promise<string | undefined> {
  if (process.env.BPLAB_SKIP_QEMU === "1") return "BPLAB_SKIP_QEMU=1 (the lab container runs QEMU)";
  const engine = await probeEngine();
  if (!engine.ok) return `no Docker engine: ${engine.reason} (fix: ${engine.fix})`;
  const facts = detectHostFacts();
  const blockers = hostBlockers(facts);
  if (!facts.isRoot) blockers.push("not root");
  if (blockers.length > 0)
    return `the host side of the comparison (the same lab on this host) cannot run: ${blockers.join("; ")}`;
  return undefined;
}

const reason = await skipReason();
if (reason) console.warn(`[container e2e] skipping: ${reason}`);

/** The same `bplab` command on the host (the workspace build), parsed as JSON. */
async function hostBplabJson<T>(args: readonly string[]): Promise<{ exitCode: number | null; values: T[] }> {
  const result = await runCommand(process.execPath, [HOST_BPLAB, ...args]);
  const what = `host: bplab ${args.join(" ")} (exit ${result.exitCode}; ${result.stderr.trim().slice(-300)})`;
  return { exitCode: result.exitCode, values: parseJsonOutput<T>(result.stdout, what) };
}

describe("parseJsonOutput (what a lab container prints is hostile input)", () => {
  it("reads one document, or JSON lines, and refuses anything else", () => {
    expect(parseJsonOutput('{"a":1}\n', "x")).toEqual([{ a: 1 }]);
    expect(parseJsonOutput('{"a":1}\n\n{"b":2}\n', "x")).toEqual([{ a: 1 }, { b: 2 }]);
    expect(() => parseJsonOutput("", "x")).toThrow(/printed no JSON/);
    expect(() => parseJsonOutput('{"a":1}\nqemu: warning\n', "x")).toThrow(/line 2 is not JSON/);
  });
});

describe.skipIf(reason !== undefined)("the lab in a container gives the host's results", () => {
  let tag: string;
  let lab: LabContainer;

  beforeAll(async () => {
    const reaped = await reapLabContainers();
    if (reaped.length > 0) console.log(`[container e2e] removed ${reaped.length} orphaned lab containers`);
    const image = await labContainerImage({
      onProgress: (event) => console.log(`[lab image] ${event.phase}: ${event.message}`),
    });
    tag = image.tag;
    console.log(`[container e2e] ${tag} (${image.how})`);
    lab = await startLabContainer({ image: tag, name: "e2e" });
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it("runs as the image's non-root user with its own state directory mounted", async () => {
    const who = await lab.exec(["id", "-u"]);
    expect(who.stdout.trim()).not.toBe("0");
    const touch = await lab.exec(["touch", `${LAB_CONTAINER_STATE_DIR}/written-in-container`]);
    expect(touch.exitCode, touch.stderr).toBe(0);
    await expect(readFile(join(lab.stateDir, "written-in-container"))).resolves.toBeDefined();
  });

  it("the conformance matrix on QEMU: every scenario has the host's outcome and observations", async () => {
    type Row = { id: string; target: string; outcome: string; observations?: unknown; message?: string };
    const args = ["scenario", "--target", "qemu", "--json"];
    const [inContainer, onHost] = [await lab.bplabJson<Row>(args), await hostBplabJson<Row>(args)];
    const table = (rows: readonly Row[]) =>
      rows.map((row) => ({ id: row.id, outcome: row.outcome, observations: row.observations }));
    expect(onHost.exitCode).toBe(0);
    expect(inContainer.exitCode, inContainer.stderr).toBe(0);
    expect(inContainer.values.every((row) => row.target === "qemu")).toBe(true);
    expect(inContainer.values.length).toBeGreaterThan(40);
    expect(table(inContainer.values)).toEqual(table(onHost.values));
  });

  it("the Linux nvme-cli lock flow and a power cycle: the same statuses, lock values and BP bytes", async () => {
    const { lockFlowScript, powerCycleScript } = (await import(LAB_FLOWS)) as LabFlows;
    const bpsz = 1;
    const newImage = patternBytes(96 * 1024);
    const job: GuestFlowJob = {
      bpsz,
      bp0: patternBytes(128 * 1024),
      bp1: patternBytes(100 * 1024),
      boots: [
        { name: "lock flow", ...scriptOf(lockFlowScript(newImage, bpsz)) },
        { name: "power cycle", ...scriptOf(powerCycleScript(newImage, bpsz)) },
      ],
    };
    const inContainer = await runGuestFlowInContainer(job, lab);
    const onHost = await runGuestFlowOnHost(job);
    expect(inContainer.error, inContainer.error?.message).toBeUndefined();
    expect(onHost.error, onHost.error?.message).toBeUndefined();
    // Two things differ from boot to boot and are left out: the guest's boot.*_s timings, and
    // what nvme-cli 2.3's boot-part-log prints as its header (it prints its buffer pointer,
    // docs/lab.md); the data file that command writes is compared through its sha256.
    const outcomes = (flow: GuestFlowResult) =>
      flow.boots.map((boot) => ({
        name: boot.name,
        done: boot.doneStatus,
        results: Object.entries(boot.results).filter(([name]) => !/^boot\.\w+_s$/.test(name)),
        blobs: Object.entries(boot.blobs).filter(([name]) => !/^bootpartlog\d\.stdout$/.test(name)),
      }));
    expect(outcomes(inContainer)).toEqual(outcomes(onHost));
    expect(inContainer.bootPartitions).toEqual(onHost.bootPartitions);
    // And what the flow is about, so two equally broken runs do not pass: the locked commit
    // fails with 1h/1Eh (0x411e), the unlocked one lands, WLUPC blocks, a reset keeps it.
    const [flow, cycled] = inContainer.boots;
    expect(flow?.results["locked.commit.exit"]).not.toBe("0");
    expect(flow?.results["unlocked.commit.exit"]).toBe("0");
    expect(flow?.results["wlupc.commit.exit"]).not.toBe("0");
    expect(flow?.results["reset.commit.exit"]).not.toBe("0");
    expect(cycled?.results["locked.commit.exit"]).not.toBe("0");
    const zeroFilled = new Uint8Array(128 * 1024);
    zeroFilled.set(newImage);
    expect(inContainer.bootPartitions[1]).toBe(sha256(zeroFilled));
  });

  it("the firmware boot-lock boot: the same firmware steps and the same nvme-cli outcomes from Linux", async () => {
    type Boot = {
      appStatus: string;
      timeline: Array<{ source: string; text: string }>;
      os: Array<{ step: string; exit: number; output: string }>;
    };
    // In the container through the Kubernetes Job's own pod script (docker/k8s/run-lab.sh), as
    // pod index 0 (lock upc), so the manifest's command is tested too; on the host, plain bplab.
    const script = `${LAB_CONTAINER_INBOX_DIR}/run-lab.sh`;
    await lab.writeFile(script, await readFile(K8S_RUN_LAB, "utf8"));
    const pod = await lab.exec(["sh", script], {
      JOB_COMPLETION_INDEX: "0",
      BPLAB_STATE: LAB_CONTAINER_STATE_DIR,
    });
    const inContainer = {
      ...pod,
      values: parseJsonOutput<Boot>(pod.stdout, `run-lab.sh: ${pod.stderr.slice(-300)}`),
    };
    const onHost = await hostBplabJson<Boot>(["firmware", "run", "--lock", "upc", "--json"]);
    expect(inContainer.exitCode, inContainer.stderr).toBe(0);
    expect(onHost.exitCode).toBe(0);
    // The pod keeps its result in its state volume.
    const kept = JSON.parse(await readFile(join(lab.stateDir, "lab-0", "firmware.json"), "utf8")) as Boot;
    expect(kept.appStatus).toBe("0");
    // Timing lines (boot.*_s, kernel timestamps) differ from run to run; the steps do not.
    const steps = (boot: Boot | undefined) => ({
      appStatus: boot?.appStatus,
      firmware: boot?.timeline
        .filter((e) => e.source === "firmware" || e.source === "shell")
        .map((e) => e.text),
      guest: boot?.timeline
        .filter((e) => e.source === "guest" && !/^boot\.\w+_s=/.test(e.text))
        .map((e) => e.text),
      os: boot?.os,
    });
    const [containerBoot] = inContainer.values;
    expect(steps(containerBoot)).toEqual(steps(onHost.values[0]));
    expect(containerBoot?.appStatus).toBe("0");
    expect(containerBoot?.os.find((o) => o.step === "commit")?.output).toMatch(
      /Boot Partition Write Prohibited/,
    );
  });
});

function scriptOf(script: GuestScript) {
  return { script: script.text, files: script.files };
}

describe.skipIf(reason !== undefined)("several lab containers at once: no cross-talk", () => {
  const LABS = 4;
  const IMAGE_BYTES = 64 * 1024;

  it(`${LABS} labs, each with its own state directory and /tmp, see only their own BP image`, async () => {
    const { tag } = await labContainerImage();
    const images = Array.from({ length: LABS }, () => patternBytes(IMAGE_BYTES));
    const results = await Promise.all(
      images.map((image, index) =>
        withLabContainer({ image: tag, name: `crosstalk-${index}` }, async (lab) => {
          const state = LAB_CONTAINER_STATE_DIR;
          const own = `${LAB_CONTAINER_INBOX_DIR}/own-${index}.bin`;
          await lab.writeFile(own, image);
          const steps = [
            ["bplab", "bp", "init", "--state", state, "--bpsz", "128K"],
            ["bplab", "bp", "write", "--state", state, "--bp", "1", "--file", own, "--verify"],
            ["bplab", "bp", "read", "--state", state, "--bp", "1", "--out", "/tmp/back.bin"],
            ["sh", "-c", `echo ${index} > /tmp/own-${index}`],
          ];
          for (const argv of steps) {
            const step = await lab.exec(argv);
            expect(step.exitCode, `${lab.name}: ${argv.join(" ")}: ${step.stderr}`).toBe(0);
          }
          const readBack = await lab.exec(["sha256sum", "/tmp/back.bin"]);
          const tmp = await lab.exec(["ls", "/tmp"]);
          // Read the state directory from the host side before the container (and it) goes away.
          const bp1 = new Uint8Array(await readFile(join(lab.stateDir, "bp1.img")));
          return {
            readBack: readBack.stdout.split(" ")[0],
            tmp: tmp.stdout.split(/\s+/).filter(Boolean),
            bp1,
          };
        }),
      ),
    );
    const expectedBp1 = images.map((image) => {
      const bp = new Uint8Array(128 * 1024);
      bp.set(image);
      return sha256(bp);
    });
    results.forEach((result, index) => {
      expect(result.readBack, `lab ${index} read back`).toBe(expectedBp1[index]);
      expect(sha256(result.bp1), `lab ${index} state dir`).toBe(expectedBp1[index]);
      expect(result.tmp.filter((name) => name.startsWith("own-"))).toEqual([`own-${index}`]);
    });
    expect(new Set(expectedBp1).size).toBe(LABS);
  });
});

describe.skipIf(reason !== undefined)("a lab container whose owner died", () => {
  it("is removed by reapLabContainers, with the state directory it created", async () => {
    const { tag } = await labContainerImage();
    const dir = await mkdtemp(join(tmpdir(), "bplab-orphan-owner-"));
    try {
      // A process that starts a lab and exits without stop(): what a killed test worker leaves.
      const owner = join(dir, "owner.mts");
      const module = pathToFileURL(join(PACKAGE_DIR, "src", "lab-container.ts")).href;
      await writeFile(
        owner,
        `import { startLabContainer } from ${JSON.stringify(module)};\n` +
          `const lab = await startLabContainer({ image: ${JSON.stringify(tag)}, name: "orphan" });\n` +
          "console.log(JSON.stringify({ id: lab.id, stateDir: lab.stateDir }));\nprocess.exit(0);\n",
      );
      const started = await runCommand(process.execPath, ["--import", "tsx", owner], { cwd: PACKAGE_DIR });
      expect(started.exitCode, started.stderr).toBe(0);
      const [orphan] = parseJsonOutput<{ id: string; stateDir: string }>(started.stdout, "owner");
      expect(existsSync(orphan?.stateDir ?? "")).toBe(true);
      const reaped = await reapLabContainers();
      expect(reaped).toContain(orphan?.id);
      expect(existsSync(orphan?.stateDir ?? "")).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

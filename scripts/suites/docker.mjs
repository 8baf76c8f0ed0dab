// The Docker suite of `npm test` (see scripts/run-tests.mjs): prepare() makes sure a Docker engine
// runs and builds the lab image (`bplab lab image`, packages/container), which counts as one
// check; the container e2e tests in vitest then use it (BPLAB_LAB_IMAGE names the tag). As root on
// Debian it installs docker.io, iptables and debootstrap with apt and starts dockerd when no daemon
// answers; run() stops only a daemon this suite started. The base (debootstrap) and the image are
// cached (~/.cache/bplab/docker-base/, Docker's layer cache, the content-hash tag). Without an
// engine it skips and prints exactly why; BPLAB_SKIP_DOCKER=1 or BPLAB_SKIP_QEMU=1 skip it too
// (the image builds QEMU).
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";

const SKIPPED = { passed: 0, failed: 0, skipped: 1 };
const PACKAGES = ["docker.io", "iptables", "debootstrap"];
const DOCKERD = "/usr/sbin/dockerd";
/** How long a freshly started dockerd may take to answer (it took 0.5-1.2 s here). */
const DAEMON_READY_MS = 60_000;
let started; // { pid, log } of the dockerd this suite started

async function load(root, pkg) {
  const entry = join(root, `packages/${pkg}/dist/index.js`);
  return existsSync(entry) ? import(pathToFileURL(entry).href) : undefined;
}

function skip(reason) {
  console.log(`docker: skipping the lab image: ${reason}`);
  return SKIPPED;
}

/**
 * docker.io, iptables and debootstrap through @bplab/lab's ensureHostPackages (installs what is
 * missing as root), with apt-get in @bplab/qemu-patches' apt environment. Returns why not, or undefined.
 */
async function installPackages(root) {
  const [lab, qemuPatches, nodeKit] = await Promise.all(
    ["lab", "qemu-patches", "node-kit"].map((pkg) => load(root, pkg)),
  );
  if (!lab || !qemuPatches || !nodeKit) return "packages/lab, qemu-patches or node-kit is not built";
  const env = qemuPatches.aptEnvironment(process.env);
  const runner = (command, args, options = {}) => nodeKit.runCommand(command, args, { ...options, env });
  try {
    const versions = await lab.ensureHostPackages(runner, PACKAGES, lab.detectHostFacts(), (line) =>
      console.log(`  ${line}`),
    );
    console.log(
      `docker: ${Object.entries(versions)
        .map(([pkg, version]) => `${pkg} ${version}`)
        .join(", ")}`,
    );
    return undefined;
  } catch (error) {
    return `${error.code ? `[${error.code}] ` : ""}${error.message}`;
  }
}

async function startDockerd(root) {
  const cache = (await load(root, "qemu-patches")).cacheRoot();
  mkdirSync(cache, { recursive: true });
  const log = join(cache, "dockerd.log");
  const fd = openSync(log, "a");
  const child = spawn(DOCKERD, ["--host", "unix:///var/run/docker.sock"], {
    detached: true,
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  child.unref();
  return { pid: child.pid, log };
}

async function waitForEngine(container) {
  const deadline = Date.now() + DAEMON_READY_MS;
  let probe = await container.probeEngine();
  while (!probe.ok && Date.now() < deadline) {
    await sleep(500);
    probe = await container.probeEngine();
  }
  return probe;
}

/** A usable engine, installed and started when this is root on Debian; or the reason there is none. */
async function ensureEngine(root, container) {
  let probe = await container.probeEngine();
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !existsSync("/etc/debian_version")) {
    if (probe.ok) return { probe };
    return {
      reason: `${probe.reason}; not root on Debian, so not installing or starting one (fix: ${probe.fix})`,
    };
  }
  const notInstalled = await installPackages(root);
  if (notInstalled) {
    if (!probe.ok)
      return { reason: `${probe.reason}; installing ${PACKAGES.join(" ")} failed: ${notInstalled}` };
    console.log(`docker: ${notInstalled} (going on: the engine answers)`);
    return { probe };
  }
  probe = await container.probeEngine();
  if (probe.ok) return { probe };
  if (!existsSync(DOCKERD)) return { reason: `${probe.reason}, and ${DOCKERD} is missing after apt` };
  started = await startDockerd(root);
  console.log(`docker: started dockerd (pid ${started.pid}, log ${started.log})`);
  probe = await waitForEngine(container);
  if (!probe.ok)
    return {
      reason: `dockerd (pid ${started.pid}) did not answer within ${DAEMON_READY_MS / 1000} s: ${probe.reason} (log ${started.log})`,
    };
  return { probe };
}

export async function prepare({ root }) {
  for (const name of ["BPLAB_SKIP_DOCKER", "BPLAB_SKIP_QEMU"])
    if (process.env[name] === "1") return skip(`${name}=1`);
  const container = await load(root, "container");
  if (!container) return skip("packages/container is not built (pnpm turbo run build)");
  const engine = await ensureEngine(root, container);
  if (!engine.probe) return skip(engine.reason);
  console.log(
    `docker: engine ${engine.probe.serverVersion}; building the lab image (cached by content hash)`,
  );
  let lastLine = "";
  try {
    const image = await container.ensureLabImage({
      onProgress: (event) => {
        const line = `${event.phase} ${event.current !== undefined ? `${event.current}/${event.total} ` : ""}${event.message}`;
        if (line === lastLine || (event.current === undefined && event.phase === lastLine.split(" ")[0]))
          return;
        // QEMU's ~1500 compile steps: a line per 100
        if (event.message.startsWith("QEMU: ") && event.current % 100 !== 0 && event.current !== event.total)
          return;
        lastLine = line;
        console.log(`docker: [${Math.round(event.elapsedMs / 1000)} s] ${line}`);
      },
    });
    process.env.BPLAB_LAB_IMAGE = image.tag;
    const mib = Math.round(image.sizeBytes / 1024 / 1024);
    console.log(
      `docker: ${image.tag} ${image.built ? "built" : "reused"} in ${image.seconds} s, ${mib} MiB (BPLAB_LAB_IMAGE=${image.tag})`,
    );
    return { passed: 1, failed: 0, skipped: 0 };
  } catch (error) {
    console.log(`docker: lab image failed: ${error.code ? `[${error.code}] ` : ""}${error.message}`);
    return { passed: 0, failed: 1, skipped: 0 };
  }
}

export async function run() {
  if (!started) return { passed: 0, failed: 0, skipped: 0 };
  const { pid } = started;
  started = undefined;
  console.log(`docker: stopping the dockerd this suite started (pid ${pid})`);
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return { passed: 0, failed: 0, skipped: 0 };
  }
  // dockerd stops its containers and containerd first (3-4 s here)
  for (let waited = 0; waited < 30_000; waited += 250) {
    try {
      process.kill(pid, 0);
    } catch {
      return { passed: 0, failed: 0, skipped: 0 };
    }
    await sleep(250);
  }
  console.log(`docker: dockerd (pid ${pid}) is still running 30 s after SIGTERM; leaving it`);
  return { passed: 0, failed: 0, skipped: 0 };
}

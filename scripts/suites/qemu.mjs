// The QEMU suite of `npm test` (see scripts/run-tests.mjs): builds the patched QEMU 10.2.2 in
// prepare() (cached under ~/.cache/bplab/qemu/<key>/, so other packages' integration tests can use
// it) and the same source without the series (qemu-unpatched/<key>/, which the vfio-user tests
// run on: one check each), then in run() runs the nvme qtests (each TAP test counts) and the gates checkpatch and
// bisect (one check each). Skips, saying why, with BPLAB_SKIP_QEMU=1, off Debian, or when not
// root and build dependencies are missing.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const SKIPPED = { passed: 0, failed: 0, skipped: 1 };
let state = { skipReason: undefined, built: false };

async function loadApi(root) {
  const entry = join(root, "packages/qemu-patches/dist/index.js");
  if (!existsSync(entry)) return undefined;
  return import(pathToFileURL(entry).href);
}

function printer(api) {
  const interactive = process.stdout.isTTY === true;
  return api.createProgressPrinter({
    write: (text) => process.stdout.write(text),
    interactive,
    ...(interactive && process.stdout.columns ? { columns: process.stdout.columns } : {}),
  });
}

function endLine() {
  if (process.stdout.isTTY) process.stdout.write("\n");
}

async function skipReason(api) {
  if (process.env.BPLAB_SKIP_QEMU === "1") return "BPLAB_SKIP_QEMU=1";
  if (!api) return "packages/qemu-patches is not built (pnpm build)";
  const host = await api.detectHost(async (command, args) => {
    const { spawnSync } = await import("node:child_process");
    const r = spawnSync(command, args, { encoding: "utf8" });
    return { exitCode: r.status, stdout: r.stdout ?? "", tail: r.stderr ?? "" };
  });
  if (!host.isDebian && host.missingTools.length > 0) {
    return `not a Debian machine and missing ${host.missingTools.join(", ")}`;
  }
  if (!host.isRoot && host.missingTools.length > 0) {
    return `not root and missing build dependencies: ${host.missingTools.join(", ")}`;
  }
  return undefined;
}

export async function prepare({ root }) {
  const api = await loadApi(root);
  state = { skipReason: await skipReason(api), built: false };
  if (state.skipReason) {
    console.log(`qemu: skipping the QEMU builds (patched and unpatched) and the qtests: ${state.skipReason}`);
    return SKIPPED;
  }
  console.log(`qemu: building the patched QEMU ${api.QEMU_VERSION} (cached by source, patches and flags)`);
  state.built = await buildOne(api, "", {});
  console.log(`qemu: building QEMU ${api.QEMU_VERSION} without the series (same recipe, shared ccache)`);
  const unpatchedBuilt = await buildOne(api, "unpatched ", { unpatched: true });
  return {
    passed: Number(state.built) + Number(unpatchedBuilt),
    failed: Number(!state.built) + Number(!unpatchedBuilt),
    skipped: 0,
  };
}

/** One build() with its progress and one result line; true when it built (or was cached). */
async function buildOne(api, label, options) {
  try {
    const built = await api.build({ ...options, onProgress: printer(api) });
    endLine();
    const how = built.cached ? "cached build" : `built in ${Math.round(built.durationMs / 1000)} s`;
    console.log(`qemu: ${label}${built.binary} (${how}, key ${built.key})`);
    return true;
  } catch (error) {
    endLine();
    console.log(`qemu: ${label}build failed: ${error.code ? `[${error.code}] ` : ""}${error.message}`);
    return false;
  }
}

export async function run({ root }) {
  if (state.skipReason) {
    console.log(`qemu: skipped: ${state.skipReason}`);
    return SKIPPED;
  }
  if (!state.built) {
    console.log("qemu: no patched QEMU, so no qtests and no gates (the build failure is counted above)");
    return { passed: 0, failed: 0, skipped: 1 };
  }
  const api = await loadApi(root);
  const tally = { passed: 0, failed: 0, skipped: 0 };

  console.log(`qemu: nvme qtests (qos-test -r ${api.NVME_QOS_PATH})`);
  const qtests = await api.runQtests();
  for (const test of qtests.tests) {
    const mark = test.skip ? `skip (${test.skip})` : test.ok ? "ok" : "FAILED";
    console.log(`  ${mark}  ${test.name.replace(`${api.NVME_QOS_PATH}/`, "")}`);
  }
  if (qtests.failed > 0) console.log(qtests.outputTail);
  tally.passed += qtests.passed;
  tally.failed += qtests.failed;
  tally.skipped += qtests.skipped;

  console.log("qemu: gates checkpatch and bisect (every prefix of the series builds)");
  const checked = await api.check({ gates: ["checkpatch", "bisect"], onProgress: printer(api) });
  endLine();
  for (const gate of checked.gates) {
    console.log(`  ${gate.ok ? "PASS" : "FAIL"} ${gate.name}: ${gate.summary}`);
    if (!gate.ok) for (const line of gate.details) console.log(`       ${line}`);
    tally[gate.ok ? "passed" : "failed"] += 1;
  }
  return tally;
}

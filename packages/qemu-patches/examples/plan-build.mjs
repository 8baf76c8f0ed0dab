// What the patched QEMU build would be, without building it: the pinned source, the series in
// order, the cache key and where the binary lives (`bplab-qemu build` builds it there).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { CONFIGURE_FLAGS, defaultPatchesDir, loadSeries, planBuild, QEMU_VERSION } from "@bplab/qemu-patches";

const series = loadSeries(defaultPatchesDir());
assert.ok(series.patches.length >= 10, "the package ships its patch series");
for (const patch of series.patches.slice(0, 3)) console.log(`  ${patch.name}: ${patch.subject}`);

const patched = planBuild();
const unpatched = planBuild({ unpatched: true });
assert.notEqual(patched.key, unpatched.key, "the series is part of the cache key");
assert.ok(CONFIGURE_FLAGS.some((flag) => flag.includes("x86_64-softmmu")));
const built = existsSync(patched.layout.binary) ? "built" : "not built yet";
console.log(`QEMU ${QEMU_VERSION} + ${series.patches.length} patches: key ${patched.key}, ${built}`);
console.log("ok @bplab/qemu-patches");

/** A cache directory that holds a (fake) finished build of the real series, or of no series. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type BuildStamp, planBuild } from "../src/build.js";
import { tempDir } from "./helpers.js";

export function fakeBuiltCache(options: { cacheDir?: string; unpatched?: boolean } = {}): {
  cacheDir: string;
  stamp: BuildStamp;
  binary: string;
  qosTest: string;
} {
  const cacheDir = options.cacheDir ?? tempDir();
  const planned = planBuild({ cacheDir, env: {}, unpatched: options.unpatched === true });
  const stamp: BuildStamp = {
    key: planned.key,
    qemuVersion: "10.2.2",
    source: { kind: "debian", identity: planned.source.identity, verified: true },
    patches: planned.series.patches.map((patch) => patch.name),
    commits: [],
    builtAt: "2026-01-01T00:00:00.000Z",
    durationMs: 1,
  };
  for (const file of [planned.layout.binary, planned.layout.qosTest]) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, "");
  }
  writeFileSync(planned.layout.stampFile, JSON.stringify(stamp));
  return { cacheDir, stamp, binary: planned.layout.binary, qosTest: planned.layout.qosTest };
}

/**
 * Prints the top frames of a V8 .cpuprofile (from `node --cpu-prof`) by self time, as a markdown
 * table for docs/performance.md.
 *
 *   node --import tsx bench/top-frames.ts <file.cpuprofile | dir> [count]
 *
 * Given a directory, takes its largest profile: under `--import tsx` the loader thread writes a
 * second, smaller one.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [given, count = "12"] = process.argv.slice(2);
if (!given) throw new Error("usage: top-frames.ts <file.cpuprofile | dir> [count]");
const file = statSync(given).isDirectory()
  ? (readdirSync(given)
      .filter((name) => name.endsWith(".cpuprofile"))
      .map((name) => join(given, name))
      .sort((a, b) => statSync(b).size - statSync(a).size)[0] ?? given)
  : given;
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, index) => {
  const node = byId.get(id);
  const delta = profile.timeDeltas[index] ?? 0;
  total += delta;
  if (!node) return;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${basename(url)}:${lineNumber + 1}` : "";
  const key = `${functionName || "(anonymous)"} ${where}`.trim();
  selfMicros.set(key, (selfMicros.get(key) ?? 0) + delta);
});
const top = [...selfMicros.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(count));
console.log(`${basename(file)}: ${(total / 1e6).toFixed(2)} s sampled`);
console.log("| self ms | share | frame |\n|---|---|---|");
for (const [frame, micros] of top) {
  console.log(`| ${(micros / 1000).toFixed(0)} | ${((micros / total) * 100).toFixed(1)}% | \`${frame}\` |`);
}

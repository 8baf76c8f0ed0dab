import { ALL_SCENARIOS, compareObservations, inProcessTargetFactory, runScenario } from "@bplab/host";
import { createQemuTargetFactory } from "./src/index.ts";

const ids = process.argv.slice(2);
const core = inProcessTargetFactory();
for (const mode of ["auto", "restart"] as const) {
  const qemu = createQemuTargetFactory({ powerCycle: mode });
  for (const s of ALL_SCENARIOS.filter((s) => ids.some((id) => s.id === id))) {
    if (mode === "restart" && !s.id.startsWith("power-cycle")) continue;
    const a = await runScenario(s, core);
    const b = await runScenario(s, qemu);
    console.log(`== ${s.id} [${mode}] core=${a.outcome} qemu=${b.outcome}`);
    if (a.message) console.log("  core msg:", a.message);
    if (b.message) console.log("  qemu msg:", b.message);
    if (b.transcriptTail) console.log("  qemu tail:\n    " + b.transcriptTail.join("\n    "));
    console.log("  first diff:", compareObservations(a.observations, b.observations));
  }
}

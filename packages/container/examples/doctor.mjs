// Ask what the containerised lab needs on this machine (a container engine, debootstrap, the lab
// image) and what command fixes each missing piece; nothing is built or started.
import assert from "node:assert/strict";
import { formatDoctorReport, LAB_IMAGE_REPOSITORY, labDoctor } from "@bplab/container";

const report = await labDoctor();
console.log(formatDoctorReport(report));
assert.ok(report.checks.length > 0);
for (const check of report.checks) {
  assert.equal(typeof check.ok, "boolean", check.name);
  assert.ok(check.detail.length > 0, `${check.name} says what it found`);
}
const missing = report.checks.filter((check) => !check.ok).map((check) => check.name);
console.log(
  `ok @bplab/container: image ${LAB_IMAGE_REPOSITORY}; missing here: ${missing.join(", ") || "nothing"}`,
);

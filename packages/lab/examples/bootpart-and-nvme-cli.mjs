// Prepare the patched QEMU's `bootpart` drive file and the nvme-cli command lines a guest script
// runs, and read nvme-cli's answers back (what the guest e2e tests do around a Linux boot).
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createBootpartImage,
  nvmeCli,
  parseFeatureValue,
  parseNvmeCliStatus,
  readBootPartition,
} from "@bplab/lab";

const file = join(mkdtempSync(join(tmpdir(), "lab-example-")), "bootpart.img");
const image = await createBootpartImage(file, { bpsz: 1, bp1: new TextEncoder().encode("BP1 loader") });
assert.equal(new TextDecoder().decode((await readBootPartition(image, 1)).subarray(0, 10)), "BP1 loader");

console.log(nvmeCli.setFeature(0x85, 0b001_001)); // unlock both BPs
console.log(nvmeCli.fwCommit({ action: 6, bpid: 1 })); // CA=110b into BP1
assert.equal(parseFeatureValue("get-feature:0x85 (Unknown), Current value:0x00000012"), 0x12);
const refused = parseNvmeCliStatus("NVMe status: Boot Partition Write Prohibited: locked(0x411e)");
assert.deepEqual([refused?.sct, refused?.sc], [1, 0x1e]);
console.log(`ok @bplab/lab: ${image.bpSizeBytes} B per BP in ${file}; 1h/1Eh parsed from nvme-cli`);

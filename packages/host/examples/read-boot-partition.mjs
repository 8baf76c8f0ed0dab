// The host driver against any Target (here the core in this process): identify the controller,
// read BPINFO, and read Boot Partition 0 through Get Log Page 15h.
// scratch-deps: @bplab/in-process-target
import assert from "node:assert/strict";
import { NvmeHostDriver } from "@bplab/host";
import { createInProcessTarget } from "@bplab/in-process-target";

const target = createInProcessTarget();
const driver = await NvmeHostDriver.attach(target);
const identify = await driver.identifyController();
const bpinfo = await driver.readBpinfo();
assert.ok(bpinfo.bpsz > 0, "the controller reports Boot Partitions");

const read = await driver.bpReadViaLog(0, 0, 4096);
assert.equal(read.data.length, 4096);
console.log(driver.transcript.format().split("\n").slice(-2).join("\n"));
await target.close();
console.log(`ok @bplab/host: ${identify.mn.trim()} BPSZ=${bpinfo.bpsz} read 4 KiB of BP0`);

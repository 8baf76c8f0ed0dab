// Decode and encode the Boot Partition registers and the FID 85h value, and describe a status.
import assert from "node:assert/strict";
import {
  BpWriteProtectionState,
  bootPartitionSizeBytes,
  bpinfoCodec,
  bpWriteProtectionCodec,
  describeStatus,
} from "@bplab/nvme-spec";

const bpinfo = bpinfoCodec.decode(0x8000_0002); // ABPID=1, BPSZ=2
assert.equal(bpinfo.abpid, 1);
assert.equal(bootPartitionSizeBytes(bpinfo.bpsz), 256 * 1024);

const fid85 = { bp0: BpWriteProtectionState.WriteLocked, bp1: BpWriteProtectionState.WriteUnlocked };
const dw11 = bpWriteProtectionCodec.encode(fid85);
assert.deepEqual(bpWriteProtectionCodec.decode(dw11), fid85);

const status = describeStatus({ sct: 1, sc: 0x1e });
console.log(`BPINFO ${JSON.stringify(bpinfo)}; FID 85h cdw11=0x${dw11.toString(16)}; 1h/1Eh = ${status}`);
assert.match(status, /Boot Partition Write Prohibited/);
console.log("ok @bplab/nvme-spec");

// Turn the EFI app's serial lines into admin commands, and compare them with the command sequence
// the downstream firmware library sends for an update-and-lock (unlock, download, commit, lock).
import assert from "node:assert/strict";
import { adminCommands, appExitStatus, downstreamUpdateSequence, SerialEventParser } from "@bplab/firmware";

const expected = downstreamUpdateSequence({ bpsz: 1, fwug: 0, bpid: 1, powerOnState: 0x12, lock: true });
const steps = expected.map((command) => command.what.replace(/^download block \d+$/, "download"));
console.log(steps.filter((step, i) => step !== steps[i - 1]).join(" -> "));
assert.equal(expected.filter((command) => command.what.startsWith("download")).length, 32); // 128 KiB / 4 KiB

const parser = new SerialEventParser();
const serial = [
  "BdsDxe: loading Boot0001",
  "BPFW cmd n=1 opc=0x9 cdw10=0x85 cdw11=0x9 cdw12=0x0 cdw13=0x0 len=0",
  "\u001b[0mBPFW cpl n=1 efi=0x0 sct=0 sc=0x00 dw0=0x0",
  "BPFW done status=0x0",
];
for (const [index, line] of serial.entries()) parser.push(line, index * 10);
const [setFeatures] = adminCommands(parser.events);
assert.deepEqual([setFeatures?.opcode, setFeatures?.cdw10, setFeatures?.sc], [0x09, 0x85, 0]);
assert.equal(appExitStatus(parser.events), 0n);
console.log("ok @bplab/firmware: serial transcript parsed; expected update has", expected.length, "commands");

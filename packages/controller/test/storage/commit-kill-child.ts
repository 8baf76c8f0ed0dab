/**
 * The process the commit-window kill test kills. It opens a state directory, runs the controller
 * on it, and through Firmware Image Download / Firmware Commit commands writes one image to a BP.
 * It announces on fd 3 (a pipe to the parent, written synchronously so each line is out before
 * the next step runs): "ready" after setup, "commit-start" when the trace shows the Firmware
 * Commit command, each commit step of the store, and "commit-done" when the trace shows its
 * completion. Each commit step then sleeps `pauseMs`, standing in for slow storage, so that the
 * parent's kill at a random delay lands inside the commit window.
 * Usage: node --import tsx commit-kill-child.ts, then the arguments line on stdin (see below).
 */
import { readSync, writeSync } from "node:fs";
import { buildFirmwareImageDownload, CommitAction, numdForBytes } from "@bplab/nvme-spec";
import { openStateDir } from "../../src/storage/index.js";
import type { TraceEvent } from "../../src/trace.js";
import { commit, setWriteProtection } from "../flows.js";
import { createRig, statusOf } from "../harness.js";
import { imageBytes } from "./crash-pattern.js";

const FIRMWARE_COMMIT = 0x10;
const SET_FEATURES_WLUPC_OTHER = { 0: 0x18, 1: 0x03 } as const;
const UNLOCK = { 0: 0x01, 1: 0x08 } as const;
/** MDTS 9: 2 MiB per command, the most one page of PRP list entries can describe. */
const MDTS_2_MIB = 9;
const TRANSFER_BYTES = 2 * 1024 * 1024;
const PAGE_BYTES = 4096;

/**
 * The parent starts this process early (while the previous round still runs) and sends the round's
 * arguments on stdin when it is this round's turn: "<stateDir> <bpid> <generation> <lengthBytes>
 * <abpid> <pauseMs>". Loading the TypeScript modules is most of a round's cost.
 */
function readArgumentLine(): string[] {
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  while (readSync(0, one, 0, 1, null) === 1 && one[0] !== 0x0a) bytes.push(one[0] ?? 0);
  return Buffer.from(bytes).toString().trim().split(" ");
}

const [dir = "", bpidText = "", generationText = "", lengthText = "", abpidText = "", pauseText = ""] =
  readArgumentLine();
// An empty line: the parent is done and had one child too many warming up.
if (dir === "") process.exit(0);
const bpid = Number(bpidText) === 1 ? 1 : 0;
const image = { generation: Number(generationText), lengthBytes: Number(lengthText) };
const abpid = Number(abpidText) === 1 ? 1 : 0;
const pauseMs = Number(pauseText);

const announce = (line: string) => writeSync(3, `${line}\n`);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

function expectSuccess(what: string, status: string): void {
  if (status !== "0h/00h") throw new Error(`${what}: ${status}`);
}

const state = openStateDir(dir, {
  onCommitStep: (step) => {
    announce(step);
    sleep(pauseMs);
  },
});
const rig = createRig({
  store: state,
  config: { mdts: MDTS_2_MIB },
  memoryBytes: TRANSFER_BYTES + 1024 * 1024,
});
rig.host.enable();
/** CDW10 bits 5:3 of Firmware Commit: the Commit Action. */
const commitAction = (cdw10: unknown) => (Number(cdw10) >>> 3) & 0b111;
let replaceCid: unknown;
rig.controller.trace.subscribe((event: TraceEvent) => {
  if (event.opcode !== FIRMWARE_COMMIT || event.sqid !== 0) return;
  if (event.kind === "command" && commitAction(event.cdw10) === CommitAction.ReplaceBootPartition) {
    replaceCid = event.cid;
    announce("commit-start");
  }
  if (event.kind === "completion" && event.cid === replaceCid)
    announce(`commit-done ${String(event.status)}`);
});

// Nonvolatile state the restart must keep (ABPID), and locks it must reset (MC-41).
expectSuccess("activate", statusOf(commit(rig, CommitAction.ActivateBootPartition, abpid)));
announce(`abpid ${abpid}`);
expectSuccess("unlock", statusOf(setWriteProtection(rig, UNLOCK[bpid])));
expectSuccess(
  "lock the other BP until power cycle",
  statusOf(setWriteProtection(rig, SET_FEATURES_WLUPC_OTHER[bpid])),
);
// One host buffer and one page of PRP list for every piece: 512 downloads of 2 MiB per GiB.
const buffer = rig.memory.alloc(TRANSFER_BYTES);
const list = rig.memory.alloc(PAGE_BYTES);
const entries = new DataView(new ArrayBuffer(PAGE_BYTES));
for (let page = 1; page < TRANSFER_BYTES / PAGE_BYTES; page++) {
  entries.setBigUint64((page - 1) * 8, buffer + BigInt(page * PAGE_BYTES), true);
}
rig.memory.write(list, new Uint8Array(entries.buffer));
for (let offset = 0; offset < image.lengthBytes; offset += TRANSFER_BYTES) {
  const length = Math.min(TRANSFER_BYTES, image.lengthBytes - offset);
  rig.memory.write(buffer, imageBytes(image, offset, length));
  const sqe = buildFirmwareImageDownload({
    numd: numdForBytes(length),
    ofst: offset / 4,
    prp1: buffer,
    // A transfer that ends in the second page names that page in PRP2; only a longer one uses
    // the list (NVMe Base, "Physical Region Page Entry and List"). Sending the list here staged PRP entries as image data.
    prp2: length <= 2 * PAGE_BYTES ? buffer + BigInt(PAGE_BYTES) : list,
  });
  expectSuccess(`download at ${offset}`, statusOf(rig.host.submit(sqe)));
}
announce("staged");
expectSuccess("commit", statusOf(commit(rig, CommitAction.ReplaceBootPartition, bpid)));
state.close();
announce("closed");
// Stay until the parent's kill. On a loaded host the parent's timer can fire after the whole
// commit; a child that had exited by then would look like one that died on its own. The parent
// starts this process with a parent-death signal, so it never outlives a killed test runner.
Atomics.wait(sleeper, 0, 0);

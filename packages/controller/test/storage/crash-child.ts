/**
 * The process the kill -9 test kills: it opens a state directory, stages one image in large
 * pieces and commits it, announcing each phase on stdout so the parent can pick its moment.
 * Usage: node --import tsx crash-child.ts <stateDir> <bpid> <generation> <lengthBytes>
 */
import { writeSync } from "node:fs";
import { openStateDir } from "../../src/storage/index.js";
import { imageBytes, PIECE_BYTES } from "./crash-pattern.js";

const [dir = "", bpidText = "", generationText = "", lengthText = ""] = process.argv.slice(2);
const bpid = Number(bpidText) === 1 ? 1 : 0;
const image = { generation: Number(generationText), lengthBytes: Number(lengthText) };

// writeSync so each line is out of the process before the next step starts.
const announce = (line: string) => writeSync(1, `${line}\n`);

const state = openStateDir(dir);
announce("opened");
for (let offset = 0; offset < image.lengthBytes; offset += PIECE_BYTES) {
  const length = Math.min(PIECE_BYTES, image.lengthBytes - offset);
  state.bootPartitions.stageWrite(offset, imageBytes(image, offset, length));
  announce(`staged ${offset + length}`);
}
announce("commit-start");
state.bootPartitions.commitStaged(bpid);
announce("commit-done");
state.close();
announce("closed");

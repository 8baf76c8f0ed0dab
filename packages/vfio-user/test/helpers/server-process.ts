/**
 * Runs a server in its own process for tests whose client must answer DMA requests: the server
 * waits for DMA replies synchronously, so a client in the same process could never send them.
 * argv: socket path, options JSON ({ dmaLayout, bpImageHex?, bpSizeBytes }). Prints "listening".
 */
import { createMemoryStore } from "@bplab/controller";
import { startVfioUserServer } from "../../src/index.js";

const [socketPath, optionsJson] = process.argv.slice(2);
const options = JSON.parse(optionsJson ?? "{}") as {
  dmaLayout?: "qemu" | "spec";
  dmaReplyTimeoutMs?: number;
  bpSizeBytes: number;
  pattern?: { multiplier: number; add: number };
};
const store = createMemoryStore({ bpSizeBytes: options.bpSizeBytes });
if (options.pattern) {
  const { multiplier, add } = options.pattern;
  store.bootPartitions.stageWrite(
    0,
    new Uint8Array(options.bpSizeBytes).map((_, i) => (i * multiplier + add) & 0xff),
  );
  store.bootPartitions.commitStaged(0);
}
const server = await startVfioUserServer({
  socketPath: socketPath as string,
  store,
  dmaLayout: options.dmaLayout ?? "qemu",
  ...(options.dmaReplyTimeoutMs === undefined ? {} : { dmaReplyTimeoutMs: options.dmaReplyTimeoutMs }),
  log: (line) => process.stderr.write(`${line}\n`),
});
process.on("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
process.stdout.write("listening\n");

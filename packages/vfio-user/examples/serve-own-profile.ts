/**
 * Serving your own controller profile (docs/vfio-user.md): a downstream project's drive, with its
 * own quirk switches and Identify values on a state directory that survives restarts, served as
 * a PCI NVMe function to stock QEMU's `vfio-user-pci`. `bplab serve --profile` only knows the
 * built-in profiles; from code any set of switches and any controller config can be served.
 *
 *   node --import tsx examples/serve-own-profile.ts /tmp/acme.sock ./acme-state
 *   qemu-system-x86_64 -machine q35 -m 1G \
 *     -object memory-backend-memfd,id=mem,size=1G,share=on -machine memory-backend=mem \
 *     -device '{"driver":"vfio-user-pci","id":"vu0","socket":{"type":"unix","path":"/tmp/acme.sock"}}'
 */
import { fileURLToPath } from "node:url";
import { type ControllerConfig, QUIRK_PROFILES, type QuirkSwitches } from "@bplab/controller";
import { openStateDir } from "@bplab/controller/storage";
import { startVfioUserServer, type VfioUserNvmeServer } from "@bplab/vfio-user";

/**
 * The drive this project ships against: the vendor profile (a Commit CA=110b needs a full
 * BPSZ x 128 KiB image), except that its BPRSEL read path works.
 */
export const ACME_QUIRKS: QuirkSwitches = {
  ...QUIRK_PROFILES["vendor-full-image"],
  bprselReadAlwaysErrors: false,
};

/** Its Identify values: what the firmware under test prints and keys its quirks on. */
export const ACME_CONFIG: Partial<ControllerConfig> = {
  serialNumber: "ACME-0001",
  modelNumber: "ACME BootSafe 1",
  firmwareRevision: "AC1.0",
  fwug: 0x08, // 32 KiB download granularity
};

/** A fresh state directory gets two 256 KiB Boot Partitions; an existing one keeps its own. */
const BP_SIZE_BYTES = 256 * 1024;

export interface AcmeDrive {
  readonly server: VfioUserNvmeServer;
  close(): Promise<void>;
}

export async function serveAcmeDrive(socketPath: string, stateDir: string): Promise<AcmeDrive> {
  const state = openStateDir(stateDir, { create: { bpSizeBytes: BP_SIZE_BYTES } });
  try {
    const server = await startVfioUserServer({
      socketPath,
      store: { bootPartitions: state.bootPartitions, namespace: state.namespace },
      quirks: ACME_QUIRKS,
      config: ACME_CONFIG,
    });
    return {
      server,
      close: async () => {
        await server.close();
        state.close();
      },
    };
  } catch (error) {
    state.close();
    throw error;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [socketPath, stateDir] = process.argv.slice(2);
  if (!socketPath || !stateDir) {
    console.error("usage: serve-own-profile.ts <socket> <state-dir>");
    process.exit(2);
  }
  const drive = await serveAcmeDrive(socketPath, stateDir);
  console.log(`ACME drive listening on ${socketPath} (state ${stateDir})`);
  const stop = async () => {
    await drive.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

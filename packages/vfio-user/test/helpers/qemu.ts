/**
 * Stock QEMU's unmodified `vfio-user-pci` in front of this package's server, for the QEMU tests:
 * the binary (or why they skip) and the package's own target (createVfioUserTarget, which is
 * @bplab/qtest's QemuTarget with the server as its device), in one of two guest-RAM modes.
 */
import {
  createVfioUserTarget,
  findVfioUserQemu,
  type VfioUserTarget,
  type VfioUserTargetOptions,
} from "../../src/index.js";

/**
 * Stock QEMU 10.2.2 (the unpatched build of @bplab/qemu-patches, or BPLAB_QEMU_UNPATCHED) with
 * vfio-user-pci proves that the device needs no patch; without it the tests skip and say why
 * (findVfioUserQemu's error names what was tried and the build command).
 */
export const qemuBinary: { path: string } | { skip: string } = await (async () => {
  if (process.env.BPLAB_SKIP_QEMU === "1") return { skip: "BPLAB_SKIP_QEMU=1" };
  try {
    return { path: await findVfioUserQemu() };
  } catch (error) {
    return { skip: (error as Error).message };
  }
})();
export const qemuSkipReason = "skip" in qemuBinary ? qemuBinary.skip : undefined;
if ("path" in qemuBinary)
  console.info(`[vfio-user] QEMU end-to-end tests run stock QEMU: ${qemuBinary.path}`);
if (qemuSkipReason) console.warn(`[vfio-user] skipping QEMU end-to-end tests: ${qemuSkipReason}`);

/**
 * The target on the stock QEMU. `sharedRam: true`: guest RAM is a shared fd-backed backend, so
 * (with fd passing) the server reaches it by pread/pwrite; false: anonymous RAM, no fd, and every
 * DMA is a message.
 */
export async function createVfioQemuTarget(options: {
  sharedRam: boolean;
  server?: VfioUserTargetOptions["server"];
}): Promise<VfioUserTarget> {
  if ("skip" in qemuBinary) throw new Error(qemuBinary.skip);
  return createVfioUserTarget({
    binary: qemuBinary.path,
    sharedRam: options.sharedRam ? "on" : "off",
    ...(options.server ? { server: options.server } : {}),
  });
}

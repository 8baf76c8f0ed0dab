/**
 * `pnpm build` step: builds (or finds cached) the EFI app when gnu-efi and a C toolchain are
 * present; otherwise says why and succeeds, so the TypeScript build never depends on gnu-efi.
 */
import { buildEfiApp } from "./efi-build.js";
import { missingHostPackages } from "./host-tools.js";

const missing = missingHostPackages().filter((pkg) => pkg !== "ovmf" && pkg !== "mtools");
if (missing.length > 0) {
  console.log(
    `[firmware] EFI app not built: missing ${missing.join(", ")} (Debian packages); the tests build it later`,
  );
} else {
  const app = await buildEfiApp();
  console.log(`[firmware] EFI app ${app.key} (${app.cached ? "cached" : "built"}): ${app.path}`);
}

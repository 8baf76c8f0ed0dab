/**
 * `pnpm build` step: builds (or finds cached) the EFI app when gnu-efi and a C toolchain are
 * present; otherwise says why and succeeds, so the TypeScript build never depends on gnu-efi.
 */
import { pins } from "@bplab/pins";
import { buildEfiApp } from "./efi-build.js";
import { missingHostPackages } from "./host-tools.js";

// Building needs gnu-efi and a toolchain; OVMF and mtools only matter for a boot.
const bootOnly = new Set([pins.ovmf.debianPackage, "mtools"]);
const missing = missingHostPackages().filter((pkg) => !bootOnly.has(pkg));
if (missing.length > 0) {
  console.log(
    `[firmware] EFI app not built: missing ${missing.join(", ")} (Debian packages); the tests build it later`,
  );
} else {
  const app = await buildEfiApp();
  console.log(`[firmware] EFI app ${app.key} (${app.cached ? "cached" : "built"}): ${app.path}`);
}

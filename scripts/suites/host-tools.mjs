// Debian packages that integration tests use besides the patched QEMU (which scripts/suites/qemu.mjs
// builds): Debian's own qemu-system-x86, against which @bplab/qtest checks that an unpatched QEMU
// is refused with the build command. Installed only as root on Debian; elsewhere the tests that
// need it skip and say why.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const PACKAGES = ["qemu-system-x86"];
const BINARY = "/usr/bin/qemu-system-x86_64";

export async function prepare({ root }) {
  if (existsSync(BINARY)) return { passed: 0, failed: 0, skipped: 0 };
  if (process.env.BPLAB_SKIP_QEMU === "1") return { passed: 0, failed: 0, skipped: 0 };
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !existsSync("/etc/debian_version")) {
    console.log(`host-tools: not root on Debian, so ${PACKAGES.join(" ")} is not installed`);
    return { passed: 0, failed: 0, skipped: 0 };
  }
  console.log(`host-tools: apt-get install ${PACKAGES.join(" ")}`);
  // apt-get runs in @bplab/qemu-patches' apt environment (system directories first on PATH: apt's
  // _apt-user methods cannot see gpgv through a private PATH directory).
  const { aptEnvironment } = await import(
    pathToFileURL(join(root, "packages/qemu-patches/dist/index.js")).href
  );
  const env = aptEnvironment(process.env);
  const args = [
    "-o",
    "DPkg::Lock::Timeout=900",
    "install",
    "-y",
    "-q",
    "--no-install-recommends",
    ...PACKAGES,
  ];
  let r = spawnSync("apt-get", args, { stdio: "inherit", env });
  if (r.status !== 0) {
    spawnSync("apt-get", ["update", "-q"], { stdio: "inherit", env });
    r = spawnSync("apt-get", args, { stdio: "inherit", env });
  }
  const ok = r.status === 0;
  if (!ok) console.log(`host-tools: apt-get install ${PACKAGES.join(" ")} failed (exit ${r.status})`);
  return { passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0 };
}

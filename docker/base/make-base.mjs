#!/usr/bin/env node
// Makes the `debian:bookworm` image the lab's Dockerfile starts FROM, for an engine that cannot
// pull: debootstrap --variant=minbase bookworm from the Debian archive apt is configured with,
// then `docker import` (the rootfs tarball is cached under ~/.cache/bplab/docker-base/<key>.tar).
// A user whose engine can pull skips this: `docker pull debian:bookworm`. `bplab lab image` runs
// the same code when the base is missing. Needs root, debootstrap and a built checkout
// (pnpm install && pnpm turbo run build).
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const entry = fileURLToPath(new URL("../../packages/container/dist/index.js", import.meta.url));
if (!existsSync(entry)) {
  console.error(`make-base: ${entry} is missing: run pnpm install && pnpm turbo run build first`);
  process.exit(2);
}
const { ensureBaseImage } = await import(pathToFileURL(entry).href);
try {
  const base = await ensureBaseImage({
    onProgress: (_phase, message) => console.log(`make-base: ${message}`),
  });
  console.log(
    base.built
      ? `make-base: ${base.reference} imported from ${base.tarball}`
      : `make-base: ${base.reference} already present`,
  );
} catch (error) {
  console.error(`make-base: ${error.code ? `[${error.code}] ` : ""}${error.message}`);
  process.exit(1);
}

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "@bplab/node-kit";
import { afterEach, describe, expect, it } from "vitest";
import { checkDeployLoads } from "../src/context.js";

describe("checkDeployLoads", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function app(indexSource: string): string {
    dir = mkdtempSync(join(tmpdir(), "bplab-deploy-"));
    mkdirSync(join(dir, "dist"));
    writeFileSync(join(dir, "package.json"), '{"type":"module"}\n');
    writeFileSync(join(dir, "dist/index.js"), indexSource);
    return dir;
  }

  it("passes a deploy whose entry and imports load", async () => {
    const appDir = app('export { x } from "./x.js";\n');
    writeFileSync(join(appDir, "dist/x.js"), "export const x = 1;\n");
    await expect(checkDeployLoads(appDir, runCommand, process.env)).resolves.toBeUndefined();
  });

  it("fails a half-rebuilt dist (a module it imports is missing) with the missing path and the fix", async () => {
    const appDir = app('export { stage } from "./storage/staging-file.js";\n');
    const attempt = checkDeployLoads(appDir, runCommand, process.env);
    await expect(attempt).rejects.toMatchObject({
      code: "CONTAINER_CONTEXT_FAILED",
      fix: "pnpm turbo run build",
    });
    await expect(attempt).rejects.toThrow(/staging-file\.js/);
  });
});

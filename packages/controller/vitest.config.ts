import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "controller",
    include: ["test/**/*.test.ts"],
    // No time limits in tests (a loaded CI machine is slow, never wrong): 0 turns vitest's 5 s off.
    testTimeout: 0,
    hookTimeout: 0,
    // The workspace packages' built dist/ loads as plain Node ESM. Inlined, every use of an
    // `export *` name went through two module-runner getters: 7% of the property test (issue 13).
    server: { deps: { external: [/\/packages\/(nvme-spec|node-kit)\/dist\//] } },
  },
});

import { defineConfig } from "vitest/config";

// One vitest run over every package: each package folder is a project.
export default defineConfig({
  test: {
    projects: ["packages/*", "scripts"],
  },
});

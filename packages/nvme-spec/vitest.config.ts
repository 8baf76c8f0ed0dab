import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "nvme-spec",
    include: ["test/**/*.test.ts"],
  },
});

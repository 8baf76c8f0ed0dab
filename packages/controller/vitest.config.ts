import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "controller",
    include: ["test/**/*.test.ts"],
  },
});

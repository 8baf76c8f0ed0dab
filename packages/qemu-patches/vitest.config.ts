import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "qemu-patches",
    include: ["test/**/*.test.ts"],
  },
});

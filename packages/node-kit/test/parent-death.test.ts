import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isExecutable } from "../src/is-executable.js";
import { dieWithParent, SETPRIV_PATH } from "../src/parent-death.js";

describe("dieWithParent", () => {
  it("wraps the command in setpriv --pdeathsig SIGKILL when setpriv is there", () => {
    const line = dieWithParent("/usr/bin/qemu", ["-m", "512M"], "/bin/sh");
    expect(line).toEqual({
      command: "/bin/sh",
      args: ["--pdeathsig", "SIGKILL", "--", "/usr/bin/qemu", "-m", "512M"],
    });
  });

  it("runs the command as it is when setpriv is missing", () => {
    expect(dieWithParent("/usr/bin/qemu", ["-m", "512M"], "/nonexistent/setpriv")).toEqual({
      command: "/usr/bin/qemu",
      args: ["-m", "512M"],
    });
  });

  it.skipIf(!isExecutable(SETPRIV_PATH))("produces a command line the real setpriv runs", () => {
    const { command, args } = dieWithParent("/bin/echo", ["tied"]);
    const result = spawnSync(command, args, { encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe("tied");
  });
});

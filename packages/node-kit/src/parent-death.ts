import { isExecutable } from "./is-executable.js";

/** util-linux's setpriv, which Debian ships in every base system. */
export const SETPRIV_PATH = "/usr/bin/setpriv";

/** A command line to hand to `spawn`: the program and its arguments. */
export interface CommandLine {
  readonly command: string;
  readonly args: string[];
}

/**
 * The command line that starts `command args` so that the kernel kills it with SIGKILL when this
 * process dies, even by SIGKILL (Linux's parent-death signal, set through `setpriv --pdeathsig`).
 * Long-lived children (QEMU) must not outlive a test runner that was killed; exit handlers cannot
 * cover SIGKILL. Without setpriv the command runs as it is and the callers' own clean-up remains
 * the only guard.
 */
export function dieWithParent(command: string, args: readonly string[], setpriv = SETPRIV_PATH): CommandLine {
  if (!isExecutable(setpriv)) return { command, args: [...args] };
  return { command: setpriv, args: ["--pdeathsig", "SIGKILL", "--", command, ...args] };
}

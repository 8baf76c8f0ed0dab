/** Whether a process with this pid exists, as far as this process can tell. */
export function processIsAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    // signal 0 checks existence and permission without delivering anything
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user; it is still alive
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

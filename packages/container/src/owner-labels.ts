/**
 * The labels that say which process owns a lab container, and the reaper's rule for when that
 * owner is gone. A pid means something only in one PID namespace of one boot: a test process in
 * a container (with the engine's socket mounted) and one on the host, or two such containers
 * with the same host name, see each other's pids as dead or as unrelated processes. So the
 * labels carry the owner's PID namespace and boot id too, and @bplab/node-kit's owner rule
 * (the pid lock's, docs/model-choices.md MC-72) decides: only an owner this process can check
 * and finds dead is gone; one in another namespace or on another machine is left alone.
 */
import {
  currentProcessPlace,
  judgeLockOwner,
  type LockOwner,
  type ProcessPlace,
  processIsAlive,
  untrustedLockOwner,
} from "@bplab/node-kit";

/** Label on every lab container: the pid of the process that owns it (the reaper's key). */
export const LAB_CONTAINER_OWNER_LABEL = "org.bplab.lab-container.owner-pid";
/** Label with the owner's host name: a pid means something only on the host that wrote it. */
export const LAB_CONTAINER_HOST_LABEL = "org.bplab.lab-container.host";
/** Label with the owner's PID namespace (`pid:[…]`): its pid means nothing in another one. */
export const LAB_CONTAINER_OWNER_PID_NAMESPACE_LABEL = "org.bplab.lab-container.owner-pid-namespace";
/** Label with the kernel boot id of the owner's machine: no pid survives a reboot. */
export const LAB_CONTAINER_OWNER_BOOT_LABEL = "org.bplab.lab-container.owner-boot-id";

/** The owner labels for a container started by `pid` living at `place`. */
export function labContainerOwnerLabels(
  pid: number = process.pid,
  place: ProcessPlace = currentProcessPlace(),
): Record<string, string> {
  return {
    [LAB_CONTAINER_OWNER_LABEL]: String(pid),
    ...(place.host ? { [LAB_CONTAINER_HOST_LABEL]: place.host } : {}),
    ...(place.pidNamespace ? { [LAB_CONTAINER_OWNER_PID_NAMESPACE_LABEL]: place.pidNamespace } : {}),
    ...(place.bootId ? { [LAB_CONTAINER_OWNER_BOOT_LABEL]: place.bootId } : {}),
  };
}

/**
 * The owner the labels name (labels are untrusted: parsed like a lock file's text). Containers
 * started before the namespace labels existed have a pid and a host only, and are judged by pid.
 */
export function labContainerOwner(labels: Readonly<Record<string, string>>): LockOwner {
  const pid = labels[LAB_CONTAINER_OWNER_LABEL] ?? "";
  return untrustedLockOwner(/^\d+$/.test(pid) ? pid : "", {
    host: labels[LAB_CONTAINER_HOST_LABEL],
    pidNamespace: labels[LAB_CONTAINER_OWNER_PID_NAMESPACE_LABEL],
    bootId: labels[LAB_CONTAINER_OWNER_BOOT_LABEL],
  });
}

/**
 * Whether the reaper may remove a container with these labels: its owner is named and is dead as
 * far as this process can check. No owner pid (not ours to judge), or an owner in another PID
 * namespace or on another machine: never.
 */
export function labContainerIsOrphaned(
  labels: Readonly<Record<string, string>>,
  place: ProcessPlace = currentProcessPlace(),
  isAlive: (pid: number) => boolean = processIsAlive,
): boolean {
  const owner = labContainerOwner(labels);
  return owner.pid > 0 && judgeLockOwner(owner, place, isAlive) === "dead";
}

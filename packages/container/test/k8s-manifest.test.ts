/**
 * docker/k8s/lab-job.yaml cannot be applied here (no cluster, no kubectl), so it is checked
 * offline: against the Kubernetes API schema for batch/v1 Job (kubernetes-models' generated
 * validators: types, enums and required fields, not unknown keys), and against the facts it must
 * agree with: the image's non-root user, the script the ConfigMap mounts, the state volume the
 * script writes to. docs/scale.md says what this does and does not prove.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Job } from "kubernetes-models/batch/v1/Job";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const MANIFEST = join(REPO, "docker", "k8s", "lab-job.yaml");
const RUN_LAB = join(REPO, "docker", "k8s", "run-lab.sh");
const DOCKERFILE = join(REPO, "docker", "Dockerfile");

// biome-ignore lint/suspicious/noExplicitAny: a parsed manifest is checked field by field below
type Manifest = any;
const manifest = (): Manifest => parse(readFileSync(MANIFEST, "utf8"));
const validate = (document: Manifest) => new Job(document).validate();

describe("docker/k8s/lab-job.yaml", () => {
  it("is a valid batch/v1 Job by the Kubernetes API schema", () => {
    expect(() => validate(manifest())).not.toThrow();
  });

  it("the schema check rejects a wrong type, a bad enum value and a missing required field", () => {
    const wrongType = manifest();
    wrongType.spec.parallelism = "four";
    expect(() => validate(wrongType)).toThrow(/parallelism/);
    const badEnum = manifest();
    badEnum.spec.completionMode = "Ordered";
    expect(() => validate(badEnum)).toThrow(/completionMode/);
    const noName = manifest();
    noName.spec.template.spec.containers[0].name = undefined;
    expect(() => validate(noName)).toThrow(/name/);
  });

  it("runs as the image's non-root lab user", () => {
    const dockerfile = readFileSync(DOCKERFILE, "utf8");
    const uid = /useradd --uid (\d+)/.exec(dockerfile)?.[1];
    const gid = /groupadd --gid (\d+)/.exec(dockerfile)?.[1];
    expect(uid, "the Dockerfile's lab uid").toBeDefined();
    const { securityContext } = manifest().spec.template.spec;
    expect(securityContext.runAsNonRoot).toBe(true);
    expect(String(securityContext.runAsUser)).toBe(uid);
    expect(String(securityContext.runAsGroup)).toBe(gid);
  });

  it("runs run-lab.sh from the mounted ConfigMap, one indexed lab per pod, state in the pod's volume", () => {
    const job = manifest();
    const pod = job.spec.template.spec;
    const [container] = pod.containers;
    expect(job.spec.completionMode, "run-lab.sh needs JOB_COMPLETION_INDEX").toBe("Indexed");
    const scriptPath: string = container.command.at(-1);
    const scriptMount = container.volumeMounts.find((mount: Manifest) =>
      scriptPath.startsWith(`${mount.mountPath}/`),
    );
    expect(scriptMount, `a volume mounted above ${scriptPath}`).toBeDefined();
    const scriptVolume = pod.volumes.find((volume: Manifest) => volume.name === scriptMount.name);
    expect(scriptVolume.configMap.name).toBeTruthy();
    expect(scriptPath.slice(scriptMount.mountPath.length + 1)).toBe("run-lab.sh");

    expect(readFileSync(RUN_LAB, "utf8")).toContain("${BPLAB_STATE:?");
    const state = container.env.find((variable: Manifest) => variable.name === "BPLAB_STATE")?.value;
    const stateMount = container.volumeMounts.find((mount: Manifest) => mount.mountPath === state);
    expect(stateMount, `a volume mounted at BPLAB_STATE (${state})`).toBeDefined();
    const stateVolume = pod.volumes.find((volume: Manifest) => volume.name === stateMount.name);
    expect(stateVolume.ephemeral ?? stateVolume.persistentVolumeClaim, "the state volume").toBeDefined();
  });
});

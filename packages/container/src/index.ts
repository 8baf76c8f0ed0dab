/**
 * @bplab/container: the lab as one Docker image, built from a repository checkout.
 *
 * - `ensureLabImage({ onProgress, force })` -> { tag, latestTag, contentHash, built, seconds, sizeBytes }:
 *   builds (or reuses) `bplab/lab:<content hash>` and tags it `bplab/lab:latest`.
 * - `probeEngine()` -> { ok, reason?, fix?, serverVersion? }: is a Docker engine usable; never throws.
 * - `labDoctor()` -> what the lab needs, what is present, and the command that fixes what is missing.
 * - `LAB_IMAGE`: the user, paths and environment inside the image.
 * Errors are ContainerError (a node-kit CodedError) with codes CONTAINER_*.
 */
export type { BaseImage, BaseImageOptions } from "./base.js";
export {
  BASE_IMAGE,
  BASE_KEY_LABEL,
  baseKey,
  baseSourcesList,
  debianMirror,
  emptyAptCaches,
  ensureBaseImage,
  mirrorFromSourcesList,
  securityMirror,
} from "./base.js";
export type { BuildContext, ContextOptions } from "./context.js";
export {
  assembleContext,
  checkDeployLoads,
  contextDir,
  pruneDeploy,
  RUNTIME_APT_PACKAGES,
} from "./context.js";
export type { DoctorCheck, DoctorFacts, DoctorReport } from "./doctor.js";
export { buildDoctorReport, formatDoctorReport, gatherDoctorFacts, labDoctor } from "./doctor.js";
export type { EngineOptions, EngineProbe } from "./engine.js";
export { interpretVersionProbe, parseBuildStep, probeEngine } from "./engine.js";
export type { ContainerErrorCode } from "./errors.js";
export { ContainerError } from "./errors.js";
export type { ContextEntry } from "./hashing.js";
export { CONTENT_HASH_LENGTH, contentHash, listContext } from "./hashing.js";
export type { EnsureLabImageOptions, LabImage } from "./image.js";
export {
  buildLogFile,
  ensureLabImage,
  LAB_IMAGE,
  LAB_IMAGE_LATEST,
  LAB_IMAGE_REPOSITORY,
  labImageTag,
} from "./image.js";
export type {
  LabCommandResult,
  LabContainer,
  LabContainerErrorCode,
  LabContainerOptions,
  LabJsonResult,
} from "./lab-container.js";
export {
  LAB_CONTAINER_INBOX_DIR,
  LAB_CONTAINER_STATE_DIR,
  LAB_CONTAINER_TMP_DIR,
  LAB_IMAGE_ENV,
  LabContainerError,
  labContainerImage,
  parseJsonOutput,
  reapLabContainers,
  runLabCommand,
  startLabContainer,
  TESTCONTAINERS_VERSION,
  withLabContainer,
} from "./lab-container.js";
export type { GuestFlowBoot, GuestFlowJob, GuestFlowResult } from "./lab-container-guest.js";
export {
  GUEST_FLOW_PROGRAM,
  hostLabPackageDir,
  LAB_IMAGE_LAB_PACKAGE,
  runGuestFlowInContainer,
  runGuestFlowOnHost,
} from "./lab-container-guest.js";
export type { LabImageProgress } from "./progress.js";

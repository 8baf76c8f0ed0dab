/** The Target contract lives in @bplab/host (docs/architecture.md); re-exported for convenience. */
export type { Target, TargetCapabilities, TargetFactory, TargetRequest } from "@bplab/host";

/**
 * @bplab/nvme-spec: typed NVMe definitions and pure codecs for Boot Partitions and BP write
 * protection. One module per spec structure; see README.md for the map.
 *
 * The index is curated: every spec structure's module is exported whole (its layout, its codec
 * object, its constants and types; the paths name the area: registers/, queue/, commands/,
 * features/, identify/, log-pages/). Of the machinery the codecs are built from (bits.ts,
 * layout.ts, struct.ts, the buffer reader/writer, errors.ts) only what a caller needs is
 * exported, so the internals can change without a breaking release.
 *
 * One API per structure: a dword or qword structure is its codec object (`bpinfoCodec.decode`,
 * `ccCodec.encode`, `statusFieldCodec.decode`), which also tells which reserved bits a value set
 * (`reservedBits`). A plain `encodeX`/`decodeX` function exists only where it does more than the
 * codec: check reserved values (`encodeBpWriteProtection`), handle addresses (`decodeBpmbl`) or
 * whole buffers (`decodeCqe`, `decodeIdentifyController`, the log pages).
 */

export { U8_MAX, U16_MAX, U32_MAX, U64_MAX } from "./bits.js";
export * from "./boot-partition-ids.js";
export { DWORD_SIZE_BYTES, numdForBytes, numdToBytes } from "./commands/common.js";
export * from "./commands/features-command.js";
export * from "./commands/firmware.js";
export * from "./commands/get-log-page.js";
export * from "./commands/identify-command.js";
export * from "./commands/queues.js";
export { describeCommand, describeCompletion, describeExchange, describeStatus } from "./describe.js";
export { fieldRangeError, NvmeSpecError, type NvmeSpecErrorCode } from "./errors.js";
export * from "./features/basic-features.js";
export * from "./features/bp-write-protection.js";
export * from "./features/ids.js";
export { binarySpec, hexLiteral, hexSpec } from "./format.js";
export * from "./identify/cns.js";
export * from "./identify/controller.js";
export * from "./identify/controller-bits.js";
export * from "./identify/lists.js";
export * from "./identify/namespace.js";
export * from "./identify/power-state.js";
export type { DwordCodec, Fields, Layout, QwordCodec } from "./layout.js";
export * from "./log-pages/boot-partition.js";
export * from "./log-pages/changed-namespace-list.js";
export * from "./log-pages/commands-supported-effects.js";
export * from "./log-pages/error-information.js";
export * from "./log-pages/firmware-slot.js";
export * from "./log-pages/ids.js";
export * from "./log-pages/smart-health.js";
export * from "./log-pages/supported-log-pages.js";
export * from "./opcodes.js";
export * from "./queue/cqe.js";
export * from "./queue/sqe.js";
export * from "./registers/aqa.js";
export * from "./registers/base-address.js";
export * from "./registers/bpinfo.js";
export * from "./registers/bpmbl.js";
export * from "./registers/bprsel.js";
export * from "./registers/cap.js";
export * from "./registers/cc.js";
export * from "./registers/csts.js";
export * from "./registers/doorbell.js";
export * from "./registers/offsets.js";
export * from "./registers/vs.js";
export * from "./status.js";

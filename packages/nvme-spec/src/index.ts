/**
 * @bplab/nvme-spec: typed NVMe definitions and pure codecs for Boot Partitions and BP write
 * protection. One module per spec structure; see README.md for the map.
 */

export * from "./bits.js";
export * from "./boot-partition-ids.js";
export * from "./buffer-reader.js";
export * from "./buffer-writer.js";
export * from "./commands/common.js";
export * from "./commands/features-command.js";
export * from "./commands/firmware.js";
export * from "./commands/get-log-page.js";
export * from "./commands/identify-command.js";
export * from "./commands/queues.js";
export * from "./describe.js";
export * from "./errors.js";
export * from "./features/basic-features.js";
export * from "./features/bp-write-protection.js";
export * from "./features/ids.js";
export * from "./format.js";
export * from "./identify/cns.js";
export * from "./identify/controller.js";
export * from "./identify/controller-bits.js";
export * from "./identify/lists.js";
export * from "./identify/namespace.js";
export * from "./identify/power-state.js";
export * from "./layout.js";
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
export * from "./struct.js";

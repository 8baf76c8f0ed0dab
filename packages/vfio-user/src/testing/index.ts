/** Byte vectors for the vfio-user codec: the exact messages QEMU 10.2.2 sends and expects. */

export * from "./fuzz.js";
export * from "./vectors.js";

/**
 * Known byte vectors other packages reuse in their tests (`@bplab/nvme-spec/testing`). Every
 * vector is written out by hand from docs/spec/boot-partitions.md or from the downstream firmware
 * encodings (its §10), never produced by this package's own encoders, so a test that uses them
 * checks against the source.
 */
export * from "./vectors.js";
export * from "./wire-vectors.js";

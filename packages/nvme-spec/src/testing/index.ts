/**
 * Known byte vectors other packages reuse in their tests (`@bplab/nvme-spec/testing`). Every
 * vector is written out by hand from the spec file or the downstream firmware encodings, never
 * produced by this package's own encoders, so a test that uses them checks against the source.
 */
export * from "./vectors.js";
export * from "./wire-vectors.js";

// Temporary: replaced by @bplab/nvme-spec's named constants as soon as that package exports them.
export const BP_SIZE_UNIT_BYTES = 128 * 1024;
export const BPSZ_MAX = 0x7fff;
export const NAMESPACE_SIZE_GRANULE_BYTES = 4096;

export const NVME_SPEC_PLACEHOLDER = true;

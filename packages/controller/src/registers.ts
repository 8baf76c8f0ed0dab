import {
  aqaCodec,
  type Cap,
  CapCss,
  CcAms,
  CcCss,
  CQE_SIZE_LOG2,
  capCodec,
  ccCodec,
  memoryPageSizeBytes,
  NVME_VERSION_2_1,
  SQE_SIZE_LOG2,
} from "@bplab/nvme-spec";
import type { ResolvedConfig } from "./config.js";

/**
 * Static parts of the BAR0 register file: the CAP value a configuration advertises and the checks
 * that decide whether CC.EN 0→1 brings the controller up or sets CSTS.CFS (MC-60 lists them).
 */

/** Largest memory page the controller accepts: 2^(12+4) = 64 KiB. MPSMIN is 0 (4 KiB). */
export const MPSMAX = 4;
export const MPSMIN = 0;
/** The NVMe version the controller reports in VS and Identify VER. */
export const CONTROLLER_VERSION = NVME_VERSION_2_1;

export function buildCap(config: ResolvedConfig): bigint {
  const cap: Partial<Cap> = {
    mqes: config.maxQueueEntries - 1,
    cqr: true,
    ams: 0,
    to: config.readyTimeoutUnits,
    dstrd: 0,
    nssrs: false,
    css: CapCss.Nvm,
    bps: true,
    mpsmin: MPSMIN,
    mpsmax: MPSMAX,
  };
  return capCodec.encode(cap);
}

export interface AdminQueueSetup {
  readonly pageSize: number;
  readonly submissionBase: bigint;
  readonly completionBase: bigint;
  /** Entries (AQA fields are 0's based; these are not). */
  readonly submissionEntries: number;
  readonly completionEntries: number;
}

export type EnableCheck = { ok: true; setup: AdminQueueSetup } | { ok: false; reason: string };

/**
 * Validates the registers at CC.EN 0→1 (MC-60). Any failure sets CSTS.CFS=1 instead of RDY=1:
 * AQA.ASQS or ACQS of 0 (a queue needs two entries), ASQ or ACQ not aligned to the memory page,
 * CC.MPS outside CAP.MPSMIN..MPSMAX, CC.CSS other than NVM, CC.AMS other than round robin, and
 * CC.IOSQES/IOCQES other than 64-byte SQEs and 16-byte CQEs.
 */
export function checkEnable(
  capValue: bigint,
  ccValue: number,
  aqaValue: number,
  asq: bigint,
  acq: bigint,
): EnableCheck {
  const cap = capCodec.decode(capValue);
  const cc = ccCodec.decode(ccValue);
  const aqa = aqaCodec.decode(aqaValue);
  if (cc.mps < cap.mpsmin || cc.mps > cap.mpsmax) {
    return {
      ok: false,
      reason: `CC.MPS=${cc.mps} is outside CAP.MPSMIN..MPSMAX (${cap.mpsmin}..${cap.mpsmax})`,
    };
  }
  if (cc.css !== CcCss.Nvm)
    return { ok: false, reason: `CC.CSS=${cc.css} selects a command set CAP.CSS does not offer` };
  if (cc.ams !== CcAms.RoundRobin)
    return { ok: false, reason: `CC.AMS=${cc.ams}: only round robin is supported` };
  if (cc.iosqes !== SQE_SIZE_LOG2 || cc.iocqes !== CQE_SIZE_LOG2) {
    return {
      ok: false,
      reason: `CC.IOSQES=${cc.iosqes}/IOCQES=${cc.iocqes}: the controller needs ${SQE_SIZE_LOG2}/${CQE_SIZE_LOG2}`,
    };
  }
  if (aqa.asqs === 0 || aqa.acqs === 0) {
    return {
      ok: false,
      reason: `AQA.ASQS=${aqa.asqs}/ACQS=${aqa.acqs}: an admin queue needs at least 2 entries`,
    };
  }
  const pageSize = memoryPageSizeBytes(cc.mps);
  const pageMask = BigInt(pageSize - 1);
  if ((asq & pageMask) !== 0n || (acq & pageMask) !== 0n) {
    return { ok: false, reason: `ASQ/ACQ are not aligned to the ${pageSize}-byte memory page` };
  }
  return {
    ok: true,
    setup: {
      pageSize,
      submissionBase: asq,
      completionBase: acq,
      submissionEntries: aqa.asqs + 1,
      completionEntries: aqa.acqs + 1,
    },
  };
}

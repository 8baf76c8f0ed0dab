import { FEATURE_SELECT_MAX } from "../features/ids.js";
import { dwordCodec, type Fields, flag, uint } from "../layout.js";
import { AdminOpcode } from "../opcodes.js";
import type { SubmissionQueueEntry } from "../queue/sqe.js";
import type { CommandCommon, DataPointer, ParsedCommon } from "./common.js";
import { commandSqe, parsedCommon, prpDwords, rejectReserved } from "./common.js";
import { uuidIndexCdw14Codec } from "./identify-command.js";

/** Get Features CDW10 (Base 2.1 §5.1.11, Fig. 193). */
export const GET_FEATURES_CDW10_LAYOUT = Object.freeze({
  /** bits 7:0 FID: feature identifier, see FeatureId */
  fid: uint(7, 0),
  /** bits 10:8 SEL: which value to return, see FeatureSelect; 100b-111b reserved */
  sel: uint(10, 8),
});
export const getFeaturesCdw10Codec = dwordCodec("Get Features.CDW10", GET_FEATURES_CDW10_LAYOUT);

/** Set Features CDW10 (§5.1.25, Fig. 383). */
export const SET_FEATURES_CDW10_LAYOUT = Object.freeze({
  /** bits 7:0 FID: feature identifier, see FeatureId */
  fid: uint(7, 0),
  /** bit 31 SV: save the value across power cycles (needs ONCS bit 4) */
  sv: flag(31),
});
export const setFeaturesCdw10Codec = dwordCodec("Set Features.CDW10", SET_FEATURES_CDW10_LAYOUT);

type OptionalDataPointer = Partial<DataPointer>;

export type GetFeaturesCommand = Fields<typeof GET_FEATURES_CDW10_LAYOUT> & {
  /** CDW11: feature specific (e.g. the Interrupt Vector for FID 09h) */
  cdw11: number;
  /** CDW14 bits 6:0 UUID index */
  uuidIndex: number;
};

export function buildGetFeatures(
  options: CommandCommon &
    OptionalDataPointer & { fid: number; sel?: number; nsid?: number; cdw11?: number; uuidIndex?: number },
): SubmissionQueueEntry {
  const sel = options.sel ?? 0;
  const cdw10 = getFeaturesCdw10Codec.encode({ fid: options.fid, sel });
  rejectReserved("Get Features.SEL", sel, sel > FEATURE_SELECT_MAX, "SEL 100b-111b are reserved");
  return commandSqe(AdminOpcode.GetFeatures, options, {
    nsid: options.nsid ?? 0,
    ...prpDwords(options),
    cdw10,
    cdw11: options.cdw11 ?? 0,
    cdw14: uuidIndexCdw14Codec.encode({ uuidIndex: options.uuidIndex ?? 0 }),
  });
}

export function parseGetFeatures(sqe: SubmissionQueueEntry): GetFeaturesCommand & ParsedCommon {
  const out = getFeaturesCdw10Codec.decodeInto(sqe.cdw10, { ...parsedCommon(sqe), cdw11: sqe.cdw11 });
  return uuidIndexCdw14Codec.decodeInto(sqe.cdw14, out);
}

export type SetFeaturesCommand = Fields<typeof SET_FEATURES_CDW10_LAYOUT> & {
  /** CDW11-CDW13 and CDW15: feature specific values */
  cdw11: number;
  cdw12: number;
  cdw13: number;
  cdw15: number;
  /** CDW14 bits 6:0 UUID index */
  uuidIndex: number;
};

export function buildSetFeatures(
  options: CommandCommon &
    OptionalDataPointer &
    Partial<SetFeaturesCommand> & { fid: number; cdw11: number; nsid?: number },
): SubmissionQueueEntry {
  return commandSqe(AdminOpcode.SetFeatures, options, {
    nsid: options.nsid ?? 0,
    ...prpDwords(options),
    cdw10: setFeaturesCdw10Codec.encode({ fid: options.fid, sv: options.sv ?? false }),
    cdw11: options.cdw11,
    cdw12: options.cdw12 ?? 0,
    cdw13: options.cdw13 ?? 0,
    cdw14: uuidIndexCdw14Codec.encode({ uuidIndex: options.uuidIndex ?? 0 }),
    cdw15: options.cdw15 ?? 0,
  });
}

export function parseSetFeatures(sqe: SubmissionQueueEntry): SetFeaturesCommand & ParsedCommon {
  const dwords = { cdw11: sqe.cdw11, cdw12: sqe.cdw12, cdw13: sqe.cdw13, cdw15: sqe.cdw15 };
  const out = setFeaturesCdw10Codec.decodeInto(sqe.cdw10, Object.assign(parsedCommon(sqe), dwords));
  return uuidIndexCdw14Codec.decodeInto(sqe.cdw14, out);
}

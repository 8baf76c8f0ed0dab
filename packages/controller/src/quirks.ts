import { ControllerConfigError } from "./errors.js";

/**
 * Quirks are named by the behaviour they change, never by a vendor, so a test reads as a
 * description of the device. docs/controller.md documents each one.
 */
export interface QuirkSwitches {
  /**
   * Firmware Commit CA=110b fails with Boot Partition Write Prohibited (1h/1Eh) unless a full
   * BPSZ×128 KiB image is staged (the shipping SSD in the downstream NvmeBpWrite notes). The spec
   * model zero-fills a short image instead (MC-21).
   */
  commitRequiresFullImage: boolean;
  /**
   * Firmware Image Download CDW12=1 is recognised as the vendor "data for boot partition" route
   * hint: it is traced as a hint (`fw.download` with `bpDataHint: true`) rather than as a
   * reserved field in use. Either way the download is accepted (MC-15); other non-zero CDW12
   * values are always traced as reserved (`fw.download.cdw12`).
   */
  acceptDownloadCdw12Hint: boolean;
  /**
   * Every BPRSEL read ends with BRS=11b and transfers nothing (the shipping SSD's broken register
   * read path): only Get Log Page 15h reads the Boot Partitions.
   */
  bprselReadAlwaysErrors: boolean;
}

export type QuirkProfileName = "spec" | "vendor-full-image";

export const QUIRK_PROFILES: Readonly<Record<QuirkProfileName, Readonly<QuirkSwitches>>> = Object.freeze({
  /** The spec and docs/model-choices.md, nothing else. The default. */
  spec: Object.freeze({
    commitRequiresFullImage: false,
    acceptDownloadCdw12Hint: false,
    bprselReadAlwaysErrors: false,
  }),
  /** The shipping SSD described by the downstream NvmeBpWrite notes (docs/spec/boot-partitions.md §10). */
  "vendor-full-image": Object.freeze({
    commitRequiresFullImage: true,
    acceptDownloadCdw12Hint: true,
    bprselReadAlwaysErrors: true,
  }),
});

export const QUIRK_PROFILE_NAMES = Object.freeze(Object.keys(QUIRK_PROFILES) as QuirkProfileName[]);
const QUIRK_SWITCH_NAMES = Object.freeze(Object.keys(QUIRK_PROFILES.spec) as Array<keyof QuirkSwitches>);

export function isQuirkProfileName(name: string): name is QuirkProfileName {
  return Object.hasOwn(QUIRK_PROFILES, name);
}

/**
 * Turns a profile name, individual switches (on top of `spec`), or nothing (= `spec`) into the
 * full set of switches. Unknown names and non-boolean switches raise ControllerConfigError.
 */
export function resolveQuirks(quirks?: QuirkProfileName | Partial<QuirkSwitches>): QuirkSwitches {
  if (quirks === undefined) return { ...QUIRK_PROFILES.spec };
  if (typeof quirks === "string") {
    if (!isQuirkProfileName(quirks)) {
      throw new ControllerConfigError("quirks", `must be one of ${QUIRK_PROFILE_NAMES.join(", ")}`, quirks);
    }
    return { ...QUIRK_PROFILES[quirks] };
  }
  if (typeof quirks !== "object" || quirks === null) {
    throw new ControllerConfigError("quirks", "must be a profile name or an object of switches", quirks);
  }
  const resolved: QuirkSwitches = { ...QUIRK_PROFILES.spec };
  for (const [name, value] of Object.entries(quirks)) {
    if (!(QUIRK_SWITCH_NAMES as string[]).includes(name)) {
      throw new ControllerConfigError(
        `quirks.${name}`,
        `is not a quirk switch (known: ${QUIRK_SWITCH_NAMES.join(", ")})`,
        value,
      );
    }
    if (value === undefined) continue;
    if (typeof value !== "boolean")
      throw new ControllerConfigError(`quirks.${name}`, "must be a boolean", value);
    resolved[name as keyof QuirkSwitches] = value;
  }
  return resolved;
}

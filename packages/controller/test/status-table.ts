/**
 * The docs/spec/boot-partitions.md §2.3 statuses the model never returns, with the reason. statuses.test.ts checks the list is
 * complete; the property test checks none of them appears under 100k random commands.
 */
export const STATUSES_NEVER_PRODUCED: ReadonlyArray<[string, string]> = [
  ["0h/20h", "Namespace is Write Protected belongs to namespace write protection (FID 84h), not modelled"],
  [
    "1h/0Bh",
    "FW Activation Requires Conventional Reset: slot 1 is read-only, nothing is ever activated (MC-25)",
  ],
  ["1h/10h", "FW Activation Requires NVM Subsystem Reset: no slot activation (MC-25)"],
  ["1h/11h", "FW Activation Requires Controller Level Reset: no slot activation (MC-25)"],
  ["1h/12h", "FW Activation Requires Maximum Time Violation: no slot activation (MC-25)"],
  ["1h/13h", "Firmware Activation Prohibited: no slot activation (MC-25)"],
];

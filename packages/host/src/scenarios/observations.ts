// What a scenario observes. A leaf module: errors.ts, context.ts and types.ts all import it, and it
// imports none of them, so the three no longer import each other round a circle (issue 9, item 7).

/** One observed value: a status "sct/sc", a hex register value, a sha256, a lock state name, … */
export type ObservationValue = string | number | boolean | null;

/** A flat, JSON-able record, so two targets can be compared field by field. */
export type Observations = Record<string, ObservationValue>;

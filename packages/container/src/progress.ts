/** Progress of ensureLabImage: one phase at a time (base, context, build), optional counts. */

export interface LabImageProgress {
  readonly phase: "base" | "context" | "build" | "done";
  readonly message: string;
  readonly current?: number;
  readonly total?: number;
  /** Since ensureLabImage started. */
  readonly elapsedMs: number;
}

/** What the internal steps call; ensureLabImage turns it into LabImageProgress events. */
export type ProgressCallback = (
  phase: LabImageProgress["phase"],
  message: string,
  current?: number,
  total?: number,
) => void;

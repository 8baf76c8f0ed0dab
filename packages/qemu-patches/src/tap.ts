/** The TAP output of GLib test programs such as qos-test (`--tap`). */

export interface TapTest {
  readonly ok: boolean;
  readonly number: number;
  readonly name: string;
  /** Set for `# SKIP reason` (and `# TODO`), which count as skipped, not passed. */
  readonly skip?: string;
}

export interface TapSummary {
  readonly tests: readonly TapTest[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** The plan (`1..N`), when the output has one. */
  readonly planned?: number;
  /** A `Bail out!` line, when the program gave up. */
  readonly bailOut?: string;
}

const TEST_LINE = /^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(SKIP|TODO)\b\s*(.*))?$/i;

export function parseTapLine(line: string): TapTest | undefined {
  const match = TEST_LINE.exec(line.trim());
  if (!match) return undefined;
  const directive = match[4];
  return {
    ok: match[1]?.toLowerCase() === "ok",
    number: match[2] ? Number(match[2]) : 0,
    name: match[3] ?? "",
    ...(directive ? { skip: `${directive.toUpperCase()} ${match[5] ?? ""}`.trim() } : {}),
  };
}

export function summarizeTap(tests: readonly TapTest[], extra: Partial<TapSummary> = {}): TapSummary {
  const skipped = tests.filter((test) => test.skip !== undefined).length;
  const failed = tests.filter((test) => !test.ok && test.skip === undefined).length;
  return {
    ...extra,
    tests,
    passed: tests.length - skipped - failed,
    failed,
    skipped,
  };
}

export function parseTap(text: string): TapSummary {
  const tests: TapTest[] = [];
  let planned: number | undefined;
  let bailOut: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const plan = /^\s*1\.\.(\d+)/.exec(line);
    if (plan) {
      planned = Number(plan[1]);
      continue;
    }
    const bail = /^\s*Bail out!\s*(.*)$/.exec(line);
    if (bail) {
      bailOut = bail[1] ?? "";
      continue;
    }
    const test = parseTapLine(line);
    if (test) tests.push(test);
  }
  return summarizeTap(tests, {
    ...(planned === undefined ? {} : { planned }),
    ...(bailOut === undefined ? {} : { bailOut }),
  });
}

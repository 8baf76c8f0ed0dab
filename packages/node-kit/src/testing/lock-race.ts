/**
 * A harness for lock race tests: dozens of processes, each running a script that calls
 * serveLockRace(), take a lock round after round on the parent's signal. Whenever one holds the
 * lock it proves it is the only holder: it creates a marker file with O_EXCL (which fails while
 * another holder's marker is there) and checks that the lock names its own pid.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { createInterface } from "node:readline";

/** What one racing process saw in one round. */
export interface RaceRound {
  acquired: number;
  /** Attempts the lock refused because a live process held it. */
  busy: number;
  /** Proofs that two processes held the lock at once, or that it did not name its holder. */
  violations: string[];
  /** Anything else that went wrong. */
  errors: string[];
}

export interface LockRaceChild {
  readonly lockPath: string;
  readonly markerPath: string;
  /** Takes the lock and returns its release function; throws when it is busy (or fails). */
  readonly acquire: () => (() => void) | Promise<() => void>;
  /** Whether an error from acquire means "a live process holds it". */
  readonly isBusy: (error: unknown) => boolean;
}

/** A pid that belonged to a process which has exited. */
export function deadPid(): number {
  const exited = spawnSync(process.execPath, ["-e", "process.exit(0)"]);
  if (exited.pid === undefined) throw new Error("could not start a short-lived process");
  return exited.pid;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}

function proveSoleHolder(child: LockRaceChild, round: RaceRound): void {
  let marker: number;
  try {
    marker = openSync(child.markerPath, "wx");
  } catch (error) {
    const other = readOrEmpty(child.markerPath) || "another process";
    round.violations.push(`two holders: ${other}'s marker is there (${(error as Error).message})`);
    return;
  }
  try {
    writeSync(marker, `${process.pid}`);
    closeSync(marker);
    const named = Number.parseInt(readOrEmpty(child.lockPath), 10);
    if (named !== process.pid) round.violations.push(`holder ${process.pid} but the lock names ${named}`);
  } finally {
    rmSync(child.markerPath, { force: true });
  }
}

async function attemptOnce(child: LockRaceChild, round: RaceRound): Promise<void> {
  let release: () => void;
  try {
    release = await child.acquire();
  } catch (error) {
    if (child.isBusy(error)) round.busy += 1;
    else round.errors.push(`${(error as { code?: string }).code ?? "no code"}: ${(error as Error).message}`);
    return;
  }
  round.acquired += 1;
  try {
    proveSoleHolder(child, round);
  } finally {
    release();
  }
}

/** The racing process's side: answers each "go <attempts>" line on stdin with a RaceRound line. */
export function serveLockRace(child: LockRaceChild): void {
  createInterface({ input: process.stdin }).on("line", async (line) => {
    const attempts = Number(line.split(" ")[1]);
    const round: RaceRound = { acquired: 0, busy: 0, violations: [], errors: [] };
    for (let i = 0; i < attempts; i += 1) await attemptOnce(child, round);
    writeSync(1, `${JSON.stringify(round)}\n`);
  });
  writeSync(1, "ready\n");
}

/** The test's side: starts the racing processes and runs rounds. */
export class LockRacers {
  private readonly children: ChildProcess[] = [];
  private readonly waiting: Array<Array<(line: string) => void>> = [];

  /** `nodeArgs`: what follows `node`, e.g. ["--import", "tsx", script, lockPath, markerPath]. */
  constructor(count: number, nodeArgs: readonly string[]) {
    for (let index = 0; index < count; index += 1) {
      const child = spawn(process.execPath, [...nodeArgs], { stdio: ["pipe", "pipe", "inherit"] });
      const queue: Array<(line: string) => void> = [];
      if (child.stdout) createInterface({ input: child.stdout }).on("line", (line) => queue.shift()?.(line));
      this.children.push(child);
      this.waiting.push(queue);
    }
  }

  private nextLines(): Promise<string[]> {
    return Promise.all(this.waiting.map((queue) => new Promise<string>((resolve) => queue.push(resolve))));
  }

  /** Resolves once every process is ready; throws if one said something else. */
  async ready(): Promise<void> {
    const unexpected = (await this.nextLines()).filter((line) => line !== "ready");
    if (unexpected.length > 0) throw new Error(`a racing process did not start: ${unexpected[0]}`);
  }

  /** Lets every process make `attempts` attempts at once; resolves with what each saw. */
  async round(attempts: number): Promise<RaceRound[]> {
    const answers = this.nextLines();
    for (const child of this.children) child.stdin?.write(`go ${attempts}\n`);
    return (await answers).map((line) => JSON.parse(line) as RaceRound);
  }

  /** Ends the processes (they exit when their stdin closes). */
  close(): void {
    for (const child of this.children) child.stdin?.end();
  }
}

/** What one round of a lock race showed, summed over every racing process. */
export interface RoundReport {
  readonly round: number;
  /** The round started from a lock left by a dead process. */
  readonly stale: boolean;
  readonly acquired: number;
  readonly busy: number;
  readonly violations: number;
  readonly errors: number;
  /** The first few violations and errors, so a failure reads in one screen. */
  readonly firstProblems: readonly string[];
  /** The lock file still existed after everyone released it. */
  readonly lockLeft: boolean;
}

/**
 * Runs `rounds` rounds of `attempts` attempts per process; every other round starts from a lock
 * that names a dead process, as after kill -9 of an owner.
 */
export async function runLockRace(
  racers: LockRacers,
  lockPath: string,
  options: { readonly rounds: number; readonly attempts: number },
): Promise<RoundReport[]> {
  const reports: RoundReport[] = [];
  for (let round = 0; round < options.rounds; round += 1) {
    const stale = round % 2 === 1;
    if (stale) writeFileSync(lockPath, `${deadPid()}\n`);
    const results = await racers.round(options.attempts);
    const violations = results.flatMap((result) => result.violations);
    const errors = results.flatMap((result) => result.errors);
    reports.push({
      round,
      stale,
      acquired: results.reduce((sum, result) => sum + result.acquired, 0),
      busy: results.reduce((sum, result) => sum + result.busy, 0),
      violations: violations.length,
      errors: errors.length,
      firstProblems: [...violations.slice(0, 3), ...errors.slice(0, 3)],
      lockLeft: existsSync(lockPath),
    });
  }
  return reports;
}

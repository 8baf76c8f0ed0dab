/**
 * The readable timeline of one boot: firmware steps, lock states, the handover and the guest's
 * steps, one line each with seconds since power-on. `timelineEntries` is also what --json prints.
 */
import { commandOutcome, type GuestReport } from "@bplab/lab";
import type { FirmwareBoot } from "./boot-lab.js";
import { OsStep } from "./os-attempts.js";
import type { SerialEvent } from "./serial-events.js";

export interface TimelineEntry {
  readonly t: number;
  readonly source: "ovmf" | "firmware" | "shell" | "kernel" | "guest";
  readonly text: string;
}

const STATE_NAMES: Readonly<Record<string, string>> = Object.freeze({
  "1": "Write Unlocked",
  "2": "Write Locked",
  "3": "Write Locked Until Power Cycle",
});

function describeLock(value: string | undefined): string {
  const v = Number(value);
  return `BP0 ${STATE_NAMES[String(v & 7)] ?? v & 7}, BP1 ${STATE_NAMES[String((v >> 3) & 7)] ?? (v >> 3) & 7}`;
}

function describeFirmware(name: string, f: Readonly<Record<string, string>>): string | undefined {
  switch (name) {
    case "start":
      return `app start: ${f.mode} BP${f.bpid}, lock=${f.lock}${f.activate === "1" ? ", CA=111b" : ""}`;
    case "registers":
      return `CAP.BPS=${f.bps} BPINFO=${f.bpinfo} (BPSZ ${f.bpsz}, ABPID ${f.abpid})`;
    case "identify":
      return `Identify: FWUG ${f.fwug}, FRMW ${f.frmw}, LPA.LPEDS ${f.lpeds}, OACS ${f.oacs}, BPCAP ${f.bpcap}`;
    case "bp-log":
      return `BP${f.bpid} read through Get Log Page 15h: crc32 ${f.crc32}`;
    case "bp-mmio":
      return `BP${f.bpid} read through BPRSEL/BPMBL: crc32 ${f.crc32}${f["same-as-log"] === "1" ? " (same)" : " (DIFFERENT)"}`;
    case "protection":
      return `lock ${f.when}: ${f.value} = ${describeLock(f.value)}`;
    case "image":
      return `image ${f.path}: ${f.bytes} bytes`;
    case "set-lock":
      return `Get 85h = ${f.get}, Set 85h = ${f.set} (BP${f.bpid} -> ${STATE_NAMES[f.state ?? ""] ?? f.state})`;
    case "download":
      return `Firmware Image Download: ${f.blocks} x ${f["block-bytes"]} bytes`;
    case "commit":
      return `Firmware Commit CA=${Number(f.ca).toString(2)}b BPID ${f.bpid}: ${f.efi === "0x0" ? "ok" : f.efi}`;
    case "verify":
      return `read back BP${f.bpid}: ${f.match === "1" ? "matches" : "DIFFERS"}`;
    case "lock":
      return f.mode === "none" ? "left unlocked (negative mode)" : `locked (${f.mode})`;
    case "error":
      return `ERROR at ${f.step}: EFI status ${f.efi}, NVMe SCT ${f.sct} SC ${f.sc}`;
    case "done":
      return `app done: status ${f.status}`;
    default:
      return undefined; // cmd/cpl lines: in --json only through the raw events
  }
}

function describe(event: SerialEvent): string | undefined {
  switch (event.kind) {
    case "ovmf":
      return event.name === "shell" ? "UEFI Shell" : "OVMF boot manager";
    case "firmware":
      return describeFirmware(event.name, event.fields);
    case "shell":
      return event.name === "boot-kernel"
        ? "startup.nsh starts the Linux EFI stub"
        : `startup.nsh: ${event.name}`;
    case "kernel":
      return event.line.trim();
    case "guest":
      return event.line.startsWith("BPLAB-RESULT ") ? event.line.slice("BPLAB-RESULT ".length) : undefined;
  }
}

export function timelineEntries(boot: FirmwareBoot): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  let kernelLines = 0;
  for (const event of boot.events) {
    // The kernel's first line marks the handover; the rest is console noise.
    if (event.kind === "kernel" && kernelLines++ > 0) continue;
    const text = describe(event);
    // Step exits are summarised by osOutcomes; the guest's boot.* milestones stay in the timeline.
    if (event.kind === "guest" && text !== undefined && /\.exit=/.test(text)) continue;
    if (text !== undefined) entries.push({ t: event.tMs / 1000, source: event.kind, text });
  }
  return entries;
}

/** What Linux managed: each OS step's exit status and, when it failed, nvme-cli's status text. */
export function osOutcomes(
  report: GuestReport | undefined,
): Array<{ step: string; exit: number; output: string }> {
  if (!report) return [];
  const steps = Object.values(OsStep).filter((step) => report.results.has(`${step}.exit`));
  return steps.map((step) => {
    const outcome = commandOutcome(report, step);
    const lines = `${outcome.stdout}\n${outcome.stderr}`.split("\n").map((line) => line.trim());
    // nvme-cli puts the NVMe status on stderr after other output; that line says why a step failed.
    const output =
      lines.find((line) => line.startsWith("NVMe status:")) ?? lines.find((line) => line !== "") ?? "";
    return { step, exit: outcome.exit, output };
  });
}

export function formatTimeline(boot: FirmwareBoot): string {
  const lines = timelineEntries(boot).map(
    (e) => `${e.t.toFixed(1).padStart(6)} s  ${e.source.padEnd(8)} ${e.text}`,
  );
  const outcomes = osOutcomes(boot.guest);
  if (outcomes.length > 0) {
    lines.push("", "what Linux (nvme-cli) tried:");
    for (const o of outcomes)
      lines.push(`  ${o.step.padEnd(16)} ${o.exit === 0 ? "ok    " : "FAILED"} ${o.output}`);
  }
  const t = boot.timing;
  const s = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 1000).toFixed(1)} s`);
  lines.push(
    "",
    `power-on -> lock applied ${s(t.lockAppliedMs)} -> first kernel line ${s(t.firstKernelLineMs)} -> guest done ${s(t.guestDoneMs)} (QEMU exit ${s(t.exitMs)})`,
  );
  return `${lines.join("\n")}\n`;
}

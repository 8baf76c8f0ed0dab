import {
  BootReadStatus,
  bpinfoCodec,
  bprselCodec,
  CommitAction,
  LogPageId,
  RegisterOffset,
} from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { ControllerConfigError } from "../src/errors.js";
import { QUIRK_PROFILES, resolveQuirks } from "../src/quirks.js";
import { commit, download, readLog, setWriteProtection } from "./flows.js";
import { createRig, kinds, PAGE, pattern, readBp, sameBytes, statusOf } from "./harness.js";

describe("resolveQuirks", () => {
  it("defaults to the spec profile and resolves the vendor profile", () => {
    expect(resolveQuirks()).toEqual(QUIRK_PROFILES.spec);
    expect(resolveQuirks("spec")).toEqual({
      commitRequiresFullImage: false,
      acceptDownloadCdw12Hint: false,
      bprselReadAlwaysErrors: false,
    });
    expect(resolveQuirks("vendor-full-image")).toEqual({
      commitRequiresFullImage: true,
      acceptDownloadCdw12Hint: true,
      bprselReadAlwaysErrors: true,
    });
  });

  it("applies individual switches on top of spec", () => {
    expect(resolveQuirks({ bprselReadAlwaysErrors: true })).toEqual({
      commitRequiresFullImage: false,
      acceptDownloadCdw12Hint: false,
      bprselReadAlwaysErrors: true,
    });
  });

  it("names the field and the rule for bad input", () => {
    expect(() => resolveQuirks("kioxia" as "spec")).toThrow(/quirks must be one of spec, vendor-full-image/);
    expect(() => resolveQuirks({ fastCommit: true } as never)).toThrow(ControllerConfigError);
    expect(() => resolveQuirks({ bprselReadAlwaysErrors: "yes" } as never)).toThrow(
      /quirks.bprselReadAlwaysErrors must be a boolean/,
    );
  });
});

describe("quirk commitRequiresFullImage", () => {
  it("refuses a short image with 1h/1Eh even when unlocked, and takes a full one", () => {
    const rig = createRig({ quirks: { commitRequiresFullImage: true } });
    rig.host.enable();
    setWriteProtection(rig, 0x08);
    download(rig, pattern(PAGE, 1), PAGE);
    const before = readBp(rig, 1);
    expect(statusOf(commit(rig, CommitAction.ReplaceBootPartition, 1))).toBe("1h/1Eh");
    expect(sameBytes(readBp(rig, 1), before)).toBe(true);
    const full = pattern(rig.store.bootPartitions.bpSizeBytes, 2);
    download(rig, full, 64 * 1024);
    expect(statusOf(commit(rig, CommitAction.ReplaceBootPartition, 1))).toBe("0h/00h");
    expect(sameBytes(readBp(rig, 1), full)).toBe(true);
  });
});

describe("quirk acceptDownloadCdw12Hint", () => {
  it("traces CDW12=1 as the vendor BP data hint instead of a reserved field in use", () => {
    const hinted = createRig({ quirks: { acceptDownloadCdw12Hint: true } });
    hinted.host.enable();
    download(hinted, pattern(PAGE, 3), PAGE, { cdw12: 1 });
    expect(hinted.events.find((event) => event.kind === "fw.download")).toMatchObject({ bpDataHint: true });
    expect(kinds(hinted.events)).not.toContain("fw.download.cdw12");
    const spec = createRig();
    spec.host.enable();
    download(spec, pattern(PAGE, 3), PAGE, { cdw12: 1 });
    expect(spec.events.find((event) => event.kind === "fw.download")).toMatchObject({ bpDataHint: false });
    expect(kinds(spec.events)).toContain("fw.download.cdw12");
  });
});

describe("quirk bprselReadAlwaysErrors", () => {
  it("ends every BPRSEL read with BRS=11b and no transfer; the log page still reads", () => {
    const rig = createRig({ quirks: "vendor-full-image" });
    const buffer = rig.memory.alloc(PAGE);
    rig.memory.write(buffer, new Uint8Array(PAGE).fill(0x5a));
    rig.controller.mmioWrite64(RegisterOffset.BPMBL, buffer);
    rig.controller.mmioWrite32(RegisterOffset.BPRSEL, bprselCodec.encode({ bpid: 0, bprof: 0, bprsz: 1 }));
    expect(bpinfoCodec.decode(rig.controller.mmioRead32(RegisterOffset.BPINFO)).brs).toBe(
      BootReadStatus.Reading,
    );
    rig.scheduler.runUntilIdle();
    expect(bpinfoCodec.decode(rig.controller.mmioRead32(RegisterOffset.BPINFO)).brs).toBe(
      BootReadStatus.Error,
    );
    expect(rig.memory.read(buffer, PAGE).every((byte) => byte === 0x5a)).toBe(true);
    rig.host.enable();
    expect(statusOf(readLog(rig, { lid: LogPageId.BootPartition, length: PAGE }).cqe)).toBe("0h/00h");
  });
});

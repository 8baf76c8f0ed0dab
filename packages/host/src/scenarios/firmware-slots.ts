import {
  AdminOpcode,
  BpWriteProtectionState,
  binarySpec,
  CommitAction,
  emptySqe,
  FIRMWARE_COMMIT_CDW10_LAYOUT,
  FRMW_LAB_DEFAULT,
  firmwareCommitCdw10Codec,
  frmwCodec,
  hexLiteral,
  Status,
} from "@bplab/nvme-spec";
import { outcomeOf } from "../driver/queue-driver.js";
import { sha256 } from "./context.js";
import { bpHashViaLog, bpSizeBytes, stageImage, testImage } from "./helpers.js";
import type { Scenario } from "./types.js";

/** CA 100b and 101b are reserved (docs/spec/boot-partitions.md §2.2); the nvme-spec builder refuses them, the raw codec does not. */
const RESERVED_COMMIT_ACTIONS = [0b100, 0b101] as const;
/** The largest FS value (3 bits): used to show FS is ignored for the BP actions (MC-24). */
const HIGHEST_SLOT_FIELD = firmwareCommitCdw10Codec.layout.fs.max;

/**
 * Slot actions on the lab's single read-only slot (FRMW 03h, MC-25) and the BP actions' indifference
 * to FS (MC-24). A staged image is present throughout, so the slot errors cannot come from a missing
 * image; a failed commit keeps it (MC-13) for the final CA=110b.
 */
const slotActions: Scenario = {
  id: "firmware-commit.slot-actions",
  title:
    "Slot actions on a read-only slot 1 → 1h/06h, CA=010b → success, reserved CA → 0h/02h, FS ignored for CA=110b/111b (MC-24, MC-25)",
  async run(ctx) {
    const driver = await ctx.driver();
    const { frmw } = await driver.identifyController();
    const { nofs } = frmwCodec.decode(frmw);
    ctx.expect("frmw", hexLiteral(frmw, 2), hexLiteral(FRMW_LAB_DEFAULT, 2));
    const size = await bpSizeBytes(ctx);
    const image = testImage(size, 0xe0);
    await stageImage(ctx, "download.ok", image);
    const readOnlySlot = 1;
    const cases = [
      {
        name: "ca-000b-slot-1",
        ca: CommitAction.ReplaceSlot,
        fs: readOnlySlot,
        status: Status.InvalidFirmwareSlot,
      },
      {
        name: "ca-001b-slot-1",
        ca: CommitAction.ReplaceAndActivateOnReset,
        fs: readOnlySlot,
        status: Status.InvalidFirmwareSlot,
      },
      {
        name: "ca-011b-slot-1",
        ca: CommitAction.ReplaceAndActivateNow,
        fs: readOnlySlot,
        status: Status.InvalidFirmwareSlot,
      },
      { name: "ca-000b-fs-0", ca: CommitAction.ReplaceSlot, fs: 0, status: Status.InvalidFirmwareSlot },
      {
        name: "ca-010b-above-nofs",
        ca: CommitAction.ActivateOnReset,
        fs: nofs + 1,
        status: Status.InvalidFirmwareSlot,
      },
      { name: "ca-010b-slot-1", ca: CommitAction.ActivateOnReset, fs: readOnlySlot, status: Status.Success },
    ];
    for (const c of cases) {
      ctx.expectStatus(`${c.name}.status`, await driver.firmwareCommit(c.ca, 0, c.fs), c.status);
    }
    for (const ca of RESERVED_COMMIT_ACTIONS) {
      const sqe = {
        ...emptySqe(AdminOpcode.FirmwareCommit),
        cdw10: firmwareCommitCdw10Codec.encode({ ca, fs: readOnlySlot, bpid: 0 }),
      };
      ctx.expectStatus(
        `ca-${binarySpec(ca, FIRMWARE_COMMIT_CDW10_LAYOUT.ca.width)}.status`,
        outcomeOf(await driver.submitAdmin(sqe)),
        Status.InvalidField,
      );
    }
    ctx.expectStatus(
      "unlock-bp0.status",
      await driver.setBpLock(0, BpWriteProtectionState.WriteUnlocked),
      Status.Success,
    );
    const replace = await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0, HIGHEST_SLOT_FIELD);
    ctx.expectStatus(
      "ca-110b-fs-7.status",
      replace,
      Status.Success,
      "MC-24: FS ignored; MC-13: the failed commits kept the image",
    );
    ctx.expect("bp0.sha256", await bpHashViaLog(ctx, 0), sha256(image));
    const activate = await driver.firmwareCommit(CommitAction.ActivateBootPartition, 1, HIGHEST_SLOT_FIELD);
    ctx.expectStatus("ca-111b-fs-7.status", activate, Status.Success);
    ctx.expect("abpid", (await driver.readBpinfo()).abpid, 1);
    return ctx.observations;
  },
};

export const FIRMWARE_COMMIT_SCENARIOS: readonly Scenario[] = [slotActions];

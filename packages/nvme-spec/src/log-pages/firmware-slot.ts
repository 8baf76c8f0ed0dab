import { BufferReader } from "../buffer-reader.js";
import { BufferWriter } from "../buffer-writer.js";
import { dwordCodec, type Fields, uint } from "../layout.js";
import { checkEntryCount } from "../struct.js";

/**
 * LID 03h Firmware Slot Information, 512 bytes (Base 2.1 §5.1.12.1.4, Fig. 208). Slot images
 * are separate from Boot Partitions: CA=110b/111b never change this log.
 */
export const FIRMWARE_SLOT_LOG_SIZE = 512;
/** Up to 7 slots; FRS n (n = 1..7) is at byte 8n, 8 ASCII characters. */
export const FIRMWARE_SLOT_COUNT = 7;
const FRS_BYTES = 8;
const FRS_OFFSET = 8;
const AFI_OFFSET = 0;

/** AFI, byte 0: active firmware info. */
export const AFI_LAYOUT = Object.freeze({
  /** bits 2:0: the slot the running firmware came from */
  activeSlot: uint(2, 0),
  /** bits 6:4: the slot activated at the next Controller Level Reset, 0 = none indicated */
  nextSlot: uint(6, 4),
});
export const afiCodec = dwordCodec("AFI", AFI_LAYOUT);

export type FirmwareSlotLog = Fields<typeof AFI_LAYOUT> & {
  /** FRS1..FRS7 revisions; "" for an empty slot; always 7 entries */
  revisions: string[];
};

export function encodeFirmwareSlotLog(log: FirmwareSlotLog): Uint8Array {
  // An empty slot is listed as "", so the array always has one entry per slot.
  checkEntryCount(
    "Firmware Slot.FRS",
    log.revisions.length,
    FIRMWARE_SLOT_COUNT,
    FIRMWARE_SLOT_COUNT,
    "one per slot",
  );
  const writer = new BufferWriter(FIRMWARE_SLOT_LOG_SIZE).u8(
    AFI_OFFSET,
    "Firmware Slot.AFI",
    afiCodec.encode({ activeSlot: log.activeSlot, nextSlot: log.nextSlot }),
  );
  log.revisions.forEach((revision, index) => {
    // An empty slot is all zero bytes, not spaces.
    if (revision !== "")
      writer.ascii(FRS_OFFSET + index * FRS_BYTES, FRS_BYTES, `Firmware Slot.FRS${index + 1}`, revision);
  });
  return writer.bytes;
}

export function decodeFirmwareSlotLog(data: Uint8Array): FirmwareSlotLog {
  const reader = new BufferReader(data, "Firmware Slot log", FIRMWARE_SLOT_LOG_SIZE);
  const revisions: string[] = [];
  for (let index = 0; index < FIRMWARE_SLOT_COUNT; index++) {
    revisions.push(reader.ascii(FRS_OFFSET + index * FRS_BYTES, FRS_BYTES));
  }
  return { ...afiCodec.decode(reader.u8(AFI_OFFSET)), revisions };
}

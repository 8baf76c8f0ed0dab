import { decodeBaseAddress, encodeBaseAddress } from "./base-address.js";

/** BPMBL: Boot Partition Memory Buffer Location, offset 48h, 64-bit, RW (Base 2.1 Fig. 51). */
export type Bpmbl = {
  /**
   * bits 63:12 BMBBA: buffer base, held here as the full byte address (4 KiB aligned) rather
   * than the 52-bit field, since that is what a DMA needs; bits 11:0 reserved, read as 0 (MC-4)
   */
  bmbba: bigint;
};

export function decodeBpmbl(value: bigint): Bpmbl {
  return { bmbba: decodeBaseAddress("BPMBL", value) };
}

export function encodeBpmbl(fields: Bpmbl): bigint {
  return encodeBaseAddress("BPMBL.BMBBA", fields.bmbba);
}

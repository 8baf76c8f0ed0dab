import { nameOrHex } from "../format.js";
/** Size of every Identify data structure, in bytes (Base 2.1 §5.1.13). */
export const IDENTIFY_DATA_SIZE = 4096;

/**
 * CNS values (Base 2.1 §5.1.13, Fig. 310 "CNS Values"). A Linux host asks for 01h, 00h, 02h and
 * 03h, and depending on the reported version and CAP.CSS may also ask for 05h, 06h or 08h; a
 * controller that does not support one answers Invalid Field in Command.
 */
export const Cns = Object.freeze({
  /** 00h: Identify Namespace data structure for NSID (NVM Command Set) */
  Namespace: 0x00,
  /** 01h: Identify Controller data structure */
  Controller: 0x01,
  /** 02h: Active Namespace ID list, NSIDs above the given one */
  ActiveNamespaceList: 0x02,
  /** 03h: Namespace Identification Descriptor list for NSID */
  NamespaceIdDescriptorList: 0x03,
  /** 04h: NVM Set list */
  NvmSetList: 0x04,
  /** 05h: I/O Command Set specific Identify Namespace (CSI in CDW11) */
  CsiNamespace: 0x05,
  /** 06h: I/O Command Set specific Identify Controller */
  CsiController: 0x06,
  /** 07h: Active Namespace ID list for an I/O Command Set */
  CsiActiveNamespaceList: 0x07,
  /** 08h: I/O Command Set Independent Identify Namespace */
  IndependentNamespace: 0x08,
  /** 10h: Allocated Namespace ID list */
  AllocatedNamespaceList: 0x10,
  /** 11h: Identify Namespace for an allocated NSID */
  AllocatedNamespace: 0x11,
  /** 12h: Controller list attached to NSID */
  NamespaceControllerList: 0x12,
  /** 13h: Controller list in the NVM subsystem */
  ControllerList: 0x13,
  /** 1Ch: Identify I/O Command Set data structure */
  IoCommandSet: 0x1c,
});

export const CNS_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [Cns.Namespace]: "Namespace",
  [Cns.Controller]: "Controller",
  [Cns.ActiveNamespaceList]: "Active Namespace ID list",
  [Cns.NamespaceIdDescriptorList]: "Namespace Identification Descriptor list",
  [Cns.NvmSetList]: "NVM Set list",
  [Cns.CsiNamespace]: "I/O Command Set specific Namespace",
  [Cns.CsiController]: "I/O Command Set specific Controller",
  [Cns.CsiActiveNamespaceList]: "I/O Command Set Active Namespace ID list",
  [Cns.IndependentNamespace]: "I/O Command Set Independent Namespace",
  [Cns.AllocatedNamespaceList]: "Allocated Namespace ID list",
  [Cns.AllocatedNamespace]: "Allocated Namespace",
  [Cns.NamespaceControllerList]: "Namespace Attached Controller list",
  [Cns.ControllerList]: "Controller list",
  [Cns.IoCommandSet]: "I/O Command Set data structure",
});

export function cnsName(cns: number): string {
  return nameOrHex(CNS_NAMES, cns, "CNS");
}

/** Command Set Identifiers (Base 2.1 §5.1.13, Fig. 311 / NVMe 2.0 CSI table). */
export const CommandSetId = Object.freeze({ Nvm: 0x00, KeyValue: 0x01, ZonedNamespace: 0x02 });

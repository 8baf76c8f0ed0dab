/**
 * @bplab/firmware: the firmware end-to-end lab. An EFI application (C, gnu-efi) updates and locks
 * the NVMe Boot Partitions through OVMF's NVM Express Pass Thru before Linux starts; the boot lab
 * builds its ESP, boots OVMF on the patched QEMU and parses the serial console into events.
 */
export * from "./boot-lab.js";
export * from "./crc32.js";
export * from "./device-target.js";
export * from "./downstream.js";
export * from "./efi-build.js";
export * from "./errors.js";
export * from "./esp.js";
export * from "./host-tools.js";
export * from "./os-attempts.js";
export * from "./prepare.js";
export * from "./run.js";
export * from "./serial-events.js";
export * from "./timeline.js";

/* Shared declarations of the bplab firmware EFI application (see bpfw.c). */
#ifndef BPFW_H
#define BPFW_H

#include <efi.h>
#include <efilib.h>
#include "nvme-passthru.h"

#define BPFW_BP_COUNT 2
#define BPFW_BP_UNIT_BYTES (128u * 1024u)
#define BPFW_FWUG_UNIT_BYTES 4096u
#define BPFW_LOG_HEADER_BYTES 16u
/* Log and register reads move this much per command: under the device's MDTS (512 KiB). */
#define BPFW_READ_CHUNK_BYTES (64u * 1024u)

/* FID 85h field values (NVMe 2.x, Boot Partition Write Protection Config). */
enum { BPWPS_NO_CHANGE = 0, BPWPS_UNLOCKED = 1, BPWPS_LOCKED = 2, BPWPS_LOCKED_UNTIL_POWER_CYCLE = 3 };

typedef enum { MODE_UPDATE, MODE_INSPECT } BPFW_MODE;
typedef enum { LOCK_UNTIL_POWER_CYCLE, LOCK_LOCKED, LOCK_NONE } BPFW_LOCK;

typedef struct {
  BPFW_MODE Mode;
  UINT32 Bpid;
  CHAR16 Image[256];
  BPFW_LOCK Lock;
  BOOLEAN Activate;
} BPFW_ARGS;

typedef struct {
  BPFW_NVME_PASS_THRU *PassThru;
  EFI_PCI_IO *PciIo;
  UINT32 CommandCount;
  /* Identify and register facts the flow needs. */
  UINT64 Cap;
  UINT32 BpInfo;
  UINTN BpBytes;
  UINTN BlockBytes;
  UINT8 Fwug;
} BPFW_CONTROLLER;

/* The last failed command's completion status, for the error line. */
typedef struct {
  UINT32 Sct;
  UINT32 Sc;
} BPFW_NVME_STATUS;

extern BPFW_NVME_STATUS gLastStatus;

/* nvme.c */
EFI_STATUS BpfwAdmin(BPFW_CONTROLLER *Ctrl, UINT8 Opcode, UINT32 Cdw10, UINT32 Cdw11, UINT32 Cdw12,
                     UINT32 Cdw13, UINT8 Flags, VOID *Buffer, UINT32 Length, UINT32 *Dw0);
EFI_STATUS BpfwFindController(BPFW_CONTROLLER *Ctrl);
EFI_STATUS BpfwReadRegisters(BPFW_CONTROLLER *Ctrl);
EFI_STATUS BpfwIdentify(BPFW_CONTROLLER *Ctrl);
EFI_STATUS BpfwReadBpLog(BPFW_CONTROLLER *Ctrl, UINT32 Bpid, UINT8 *Out);
EFI_STATUS BpfwReadBpRegisters(BPFW_CONTROLLER *Ctrl, UINT32 Bpid, UINT8 *Out);
EFI_STATUS BpfwGetProtection(BPFW_CONTROLLER *Ctrl, UINT32 *Value);
EFI_STATUS BpfwSetLockState(BPFW_CONTROLLER *Ctrl, UINT32 Bpid, UINT32 State);
EFI_STATUS BpfwDownload(BPFW_CONTROLLER *Ctrl, UINT8 *Image);
EFI_STATUS BpfwCommit(BPFW_CONTROLLER *Ctrl, UINT32 Bpid, UINT32 Action);
VOID *BpfwAllocate(UINTN Bytes);
VOID BpfwFree(VOID *Buffer, UINTN Bytes);
UINT32 BpfwCrc32(VOID *Data, UINTN Bytes);

#endif

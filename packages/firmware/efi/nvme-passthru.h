/*
 * EFI_NVM_EXPRESS_PASS_THRU_PROTOCOL, declared here because gnu-efi 3.0.15 has no NVMe
 * protocol. Layout per the UEFI 2.x specification (section "NVM Express Pass Thru Protocol").
 * Function pointers are EFIAPI (ms_abi): the firmware implements them.
 */
#ifndef BPFW_NVME_PASSTHRU_H
#define BPFW_NVME_PASSTHRU_H

#include <efi.h>

#define BPFW_NVME_PASS_THRU_PROTOCOL_GUID \
  { 0x52c78312, 0x8edc, 0x4233, { 0x98, 0xf2, 0x1a, 0x1a, 0xa5, 0xe3, 0x88, 0xa5 } }

/* Which command dwords the driver copies into the submission entry. */
#define BPFW_CDW2_VALID 0x01
#define BPFW_CDW3_VALID 0x02
#define BPFW_CDW10_VALID 0x04
#define BPFW_CDW11_VALID 0x08
#define BPFW_CDW12_VALID 0x10
#define BPFW_CDW13_VALID 0x20
#define BPFW_CDW14_VALID 0x40
#define BPFW_CDW15_VALID 0x80

#define BPFW_NVME_ADMIN_QUEUE 0

typedef struct {
  UINT32 Attributes;
  UINT32 IoAlign;
  UINT32 NvmeVersion;
} BPFW_NVME_PASS_THRU_MODE;

typedef struct {
  UINT32 OpCode : 8;
  UINT32 FusedOperation : 2;
  UINT32 Reserved : 22;
} BPFW_NVME_CDW0;

typedef struct {
  BPFW_NVME_CDW0 Cdw0;
  UINT8 Flags;
  UINT32 Nsid;
  UINT32 Cdw2;
  UINT32 Cdw3;
  UINT32 Cdw10;
  UINT32 Cdw11;
  UINT32 Cdw12;
  UINT32 Cdw13;
  UINT32 Cdw14;
  UINT32 Cdw15;
} BPFW_NVME_COMMAND;

typedef struct {
  UINT32 DW0;
  UINT32 DW1;
  UINT32 DW2;
  UINT32 DW3;
} BPFW_NVME_COMPLETION;

typedef struct {
  UINT64 CommandTimeout; /* 100 ns units; 0 waits forever */
  VOID *TransferBuffer;
  UINT32 TransferLength;
  VOID *MetadataBuffer;
  UINT32 MetadataLength;
  UINT8 QueueType;
  BPFW_NVME_COMMAND *NvmeCmd;
  BPFW_NVME_COMPLETION *NvmeCompletion;
} BPFW_NVME_PACKET;

typedef struct _BPFW_NVME_PASS_THRU BPFW_NVME_PASS_THRU;

typedef EFI_STATUS(EFIAPI *BPFW_NVME_PASS_THRU_FN)(BPFW_NVME_PASS_THRU *This, UINT32 NamespaceId,
                                                   BPFW_NVME_PACKET *Packet, EFI_EVENT Event);
typedef EFI_STATUS(EFIAPI *BPFW_NVME_GET_NEXT_NAMESPACE)(BPFW_NVME_PASS_THRU *This, UINT32 *NamespaceId);
typedef EFI_STATUS(EFIAPI *BPFW_NVME_BUILD_DEVICE_PATH)(BPFW_NVME_PASS_THRU *This, UINT32 NamespaceId,
                                                        EFI_DEVICE_PATH **DevicePath);
typedef EFI_STATUS(EFIAPI *BPFW_NVME_GET_NAMESPACE)(BPFW_NVME_PASS_THRU *This, EFI_DEVICE_PATH *DevicePath,
                                                    UINT32 *NamespaceId);

struct _BPFW_NVME_PASS_THRU {
  BPFW_NVME_PASS_THRU_MODE *Mode;
  BPFW_NVME_PASS_THRU_FN PassThru;
  BPFW_NVME_GET_NEXT_NAMESPACE GetNextNamespace;
  BPFW_NVME_BUILD_DEVICE_PATH BuildDevicePath;
  BPFW_NVME_GET_NAMESPACE GetNamespace;
};

#endif

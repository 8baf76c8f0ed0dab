/*
 * NVMe admin commands and BAR0 registers through the firmware's own drivers:
 * EFI_NVM_EXPRESS_PASS_THRU_PROTOCOL (OVMF's NvmExpressDxe) for commands and
 * EFI_PCI_IO_PROTOCOL on the same handle for CAP, BPINFO, BPRSEL and BPMBL.
 * Every command prints one "BPFW cmd" line, so the host sees the exact sequence.
 */
#include "bpfw.h"

static EFI_GUID gNvmePassThruGuid = BPFW_NVME_PASS_THRU_PROTOCOL_GUID;
BPFW_NVME_STATUS gLastStatus;

#define REG_CAP 0x00
#define REG_BPINFO 0x40
#define REG_BPRSEL 0x44
#define REG_BPMBL 0x48
#define BPINFO_BPSZ_MASK 0x7fffu
#define BPINFO_BRS_SHIFT 24
#define BPINFO_ABPID_SHIFT 31
#define BRS_IN_PROGRESS 1
#define BRS_SUCCESS 2
#define CAP_BPS_BIT 45

#define OPC_GET_LOG_PAGE 0x02
#define OPC_IDENTIFY 0x06
#define OPC_SET_FEATURES 0x09
#define OPC_GET_FEATURES 0x0a
#define OPC_FW_COMMIT 0x10
#define OPC_FW_DOWNLOAD 0x11
#define FID_BP_WRITE_PROTECTION 0x85
#define LID_BOOT_PARTITION 0x15
/* Firmware Image Download CDW12 = 1: the downstream library's vendor "BP data" route hint. */
#define FW_DOWNLOAD_BP_DATA_HINT 1
/* 10 s per command (100 ns units): generous for TCG, never hit on a healthy device. */
#define COMMAND_TIMEOUT (10ull * 10000000ull)

VOID *BpfwAllocate(UINTN Bytes) {
  EFI_PHYSICAL_ADDRESS Address = 0xffffffff; /* below 4 GiB: safe for any DMA path */
  EFI_STATUS Status = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiBootServicesData,
                                        EFI_SIZE_TO_PAGES(Bytes), &Address);
  if (EFI_ERROR(Status)) return NULL;
  ZeroMem((VOID *)(UINTN)Address, EFI_SIZE_TO_PAGES(Bytes) * EFI_PAGE_SIZE);
  return (VOID *)(UINTN)Address;
}

VOID BpfwFree(VOID *Buffer, UINTN Bytes) {
  if (Buffer) uefi_call_wrapper(BS->FreePages, 2, (EFI_PHYSICAL_ADDRESS)(UINTN)Buffer, EFI_SIZE_TO_PAGES(Bytes));
}

UINT32 BpfwCrc32(VOID *Data, UINTN Bytes) {
  UINT32 Crc = 0;
  uefi_call_wrapper(BS->CalculateCrc32, 3, Data, Bytes, &Crc);
  return Crc;
}

EFI_STATUS BpfwAdmin(BPFW_CONTROLLER *Ctrl, UINT8 Opcode, UINT32 Cdw10, UINT32 Cdw11, UINT32 Cdw12,
                     UINT32 Cdw13, UINT8 Flags, VOID *Buffer, UINT32 Length, UINT32 *Dw0) {
  BPFW_NVME_COMMAND Command;
  BPFW_NVME_COMPLETION Completion;
  BPFW_NVME_PACKET Packet;
  ZeroMem(&Command, sizeof(Command));
  ZeroMem(&Completion, sizeof(Completion));
  ZeroMem(&Packet, sizeof(Packet));
  Command.Cdw0.OpCode = Opcode;
  Command.Flags = Flags;
  Command.Cdw10 = Cdw10;
  Command.Cdw11 = Cdw11;
  Command.Cdw12 = Cdw12;
  Command.Cdw13 = Cdw13;
  Packet.CommandTimeout = COMMAND_TIMEOUT;
  Packet.TransferBuffer = Buffer;
  Packet.TransferLength = Length;
  Packet.QueueType = BPFW_NVME_ADMIN_QUEUE;
  Packet.NvmeCmd = &Command;
  Packet.NvmeCompletion = &Completion;
  EFI_STATUS Status = uefi_call_wrapper(Ctrl->PassThru->PassThru, 4, Ctrl->PassThru, 0, &Packet, NULL);
  /* Completion DW3: SC bits 24:17, SCT bits 27:25. */
  gLastStatus.Sc = (Completion.DW3 >> 17) & 0xff;
  gLastStatus.Sct = (Completion.DW3 >> 25) & 0x7;
  Ctrl->CommandCount++;
  Print(L"BPFW cmd n=%d opc=0x%02x cdw10=0x%08x cdw11=0x%08x cdw12=0x%08x cdw13=0x%08x len=%d\r\n",
        Ctrl->CommandCount, Opcode, Cdw10, Cdw11, Cdw12, Cdw13, Length);
  Print(L"BPFW cpl n=%d efi=0x%lx sct=%x sc=0x%02x dw0=0x%08x\r\n", Ctrl->CommandCount, (UINT64)Status,
        gLastStatus.Sct, gLastStatus.Sc, Completion.DW0);
  if (!EFI_ERROR(Status) && (gLastStatus.Sct != 0 || gLastStatus.Sc != 0)) Status = EFI_DEVICE_ERROR;
  if (Dw0) *Dw0 = Completion.DW0;
  return Status;
}

EFI_STATUS BpfwFindController(BPFW_CONTROLLER *Ctrl) {
  UINTN Count = 0;
  EFI_HANDLE *Handles = NULL;
  EFI_STATUS Status = LibLocateHandle(ByProtocol, &gNvmePassThruGuid, NULL, &Count, &Handles);
  Print(L"BPFW controller handles=%d efi=0x%lx\r\n", Count, (UINT64)Status);
  if (EFI_ERROR(Status)) return Status;
  if (Count == 0) return EFI_NOT_FOUND;
  /* The first controller: the lab has one NVMe device. */
  Status = uefi_call_wrapper(BS->HandleProtocol, 3, Handles[0], &gNvmePassThruGuid, (VOID **)&Ctrl->PassThru);
  if (!EFI_ERROR(Status))
    Status = uefi_call_wrapper(BS->HandleProtocol, 3, Handles[0], &PciIoProtocol, (VOID **)&Ctrl->PciIo);
  FreePool(Handles);
  return Status;
}

static EFI_STATUS ReadRegister32(BPFW_CONTROLLER *Ctrl, UINT64 Offset, UINT32 *Value) {
  return uefi_call_wrapper(Ctrl->PciIo->Mem.Read, 6, Ctrl->PciIo, EfiPciIoWidthUint32, 0, Offset, 1, Value);
}

static EFI_STATUS WriteRegister32(BPFW_CONTROLLER *Ctrl, UINT64 Offset, UINT32 Value) {
  return uefi_call_wrapper(Ctrl->PciIo->Mem.Write, 6, Ctrl->PciIo, EfiPciIoWidthUint32, 0, Offset, 1, &Value);
}

EFI_STATUS BpfwReadRegisters(BPFW_CONTROLLER *Ctrl) {
  UINT32 Low = 0, High = 0;
  EFI_STATUS Status = ReadRegister32(Ctrl, REG_CAP, &Low);
  if (!EFI_ERROR(Status)) Status = ReadRegister32(Ctrl, REG_CAP + 4, &High);
  if (!EFI_ERROR(Status)) Status = ReadRegister32(Ctrl, REG_BPINFO, &Ctrl->BpInfo);
  if (EFI_ERROR(Status)) return Status;
  Ctrl->Cap = ((UINT64)High << 32) | Low;
  Ctrl->BpBytes = (UINTN)(Ctrl->BpInfo & BPINFO_BPSZ_MASK) * BPFW_BP_UNIT_BYTES;
  Print(L"BPFW registers cap=0x%016lx bps=%d bpinfo=0x%08x bpsz=%d brs=%d abpid=%d\r\n", Ctrl->Cap,
        (UINT32)((Ctrl->Cap >> CAP_BPS_BIT) & 1), Ctrl->BpInfo, Ctrl->BpInfo & BPINFO_BPSZ_MASK,
        (Ctrl->BpInfo >> BPINFO_BRS_SHIFT) & 3, Ctrl->BpInfo >> BPINFO_ABPID_SHIFT);
  if (((Ctrl->Cap >> CAP_BPS_BIT) & 1) == 0 || Ctrl->BpBytes == 0) return EFI_UNSUPPORTED;
  return EFI_SUCCESS;
}

EFI_STATUS BpfwIdentify(BPFW_CONTROLLER *Ctrl) {
  UINT8 *Data = BpfwAllocate(4096);
  if (!Data) return EFI_OUT_OF_RESOURCES;
  EFI_STATUS Status = BpfwAdmin(Ctrl, OPC_IDENTIFY, 1, 0, 0, 0, BPFW_CDW10_VALID, Data, 4096, NULL);
  if (!EFI_ERROR(Status)) {
    UINT16 Oacs = (UINT16)(Data[256] | (Data[257] << 8));
    Ctrl->Fwug = Data[319];
    /* FWUG 0 (no information) and FFh (no restriction) both mean 4 KiB, as the downstream library does. */
    UINTN Units = (Ctrl->Fwug == 0 || Ctrl->Fwug == 0xff) ? 1 : Ctrl->Fwug;
    Ctrl->BlockBytes = Units * BPFW_FWUG_UNIT_BYTES;
    Print(L"BPFW identify fwug=0x%02x frmw=0x%02x lpa=0x%02x lpeds=%d oacs=0x%04x bpcap=0x%02x mdts=%d\r\n",
          Ctrl->Fwug, Data[260], Data[261], (Data[261] >> 2) & 1, Oacs, Data[102], Data[77]);
    if ((Data[261] & 0x04) == 0) Status = EFI_UNSUPPORTED;
    else if (Ctrl->BlockBytes > Ctrl->BpBytes) Status = EFI_UNSUPPORTED;
  }
  BpfwFree(Data, 4096);
  return Status;
}

/* Get Log Page 15h: the BP starts after the 16-byte header; CDW10 LSP carries the BPID. */
EFI_STATUS BpfwReadBpLog(BPFW_CONTROLLER *Ctrl, UINT32 Bpid, UINT8 *Out) {
  UINT8 *Chunk = BpfwAllocate(BPFW_READ_CHUNK_BYTES);
  if (!Chunk) return EFI_OUT_OF_RESOURCES;
  EFI_STATUS Status = EFI_SUCCESS;
  for (UINTN Offset = 0; Offset < Ctrl->BpBytes && !EFI_ERROR(Status); Offset += BPFW_READ_CHUNK_BYTES) {
    UINTN Bytes = Ctrl->BpBytes - Offset < BPFW_READ_CHUNK_BYTES ? Ctrl->BpBytes - Offset : BPFW_READ_CHUNK_BYTES;
    UINT32 Numd = (UINT32)(Bytes / 4 - 1);
    UINT64 LogOffset = Offset + BPFW_LOG_HEADER_BYTES;
    UINT32 Cdw10 = ((Numd & 0xffff) << 16) | ((Bpid & 0x7f) << 8) | LID_BOOT_PARTITION;
    Status = BpfwAdmin(Ctrl, OPC_GET_LOG_PAGE, Cdw10, Numd >> 16, (UINT32)LogOffset, (UINT32)(LogOffset >> 32),
                       BPFW_CDW10_VALID | BPFW_CDW11_VALID | BPFW_CDW12_VALID | BPFW_CDW13_VALID, Chunk,
                       (UINT32)Bytes, NULL);
    if (!EFI_ERROR(Status)) CopyMem(Out + Offset, Chunk, Bytes);
  }
  BpfwFree(Chunk, BPFW_READ_CHUNK_BYTES);
  return Status;
}

/* The boot-ROM path: BPMBL = buffer, BPRSEL = BPID|offset|size, poll BPINFO.BRS. */
EFI_STATUS BpfwReadBpRegisters(BPFW_CONTROLLER *Ctrl, UINT32 Bpid, UINT8 *Out) {
  UINT8 *Chunk = BpfwAllocate(BPFW_READ_CHUNK_BYTES);
  if (!Chunk) return EFI_OUT_OF_RESOURCES;
  EFI_STATUS Status = EFI_SUCCESS;
  UINT64 Address = (UINT64)(UINTN)Chunk;
  for (UINTN Offset = 0; Offset < Ctrl->BpBytes && !EFI_ERROR(Status); Offset += BPFW_READ_CHUNK_BYTES) {
    UINTN Bytes = Ctrl->BpBytes - Offset < BPFW_READ_CHUNK_BYTES ? Ctrl->BpBytes - Offset : BPFW_READ_CHUNK_BYTES;
    UINT32 Select = (Bpid << 31) | ((UINT32)(Offset / 4096) << 10) | (UINT32)(Bytes / 4096);
    Status = WriteRegister32(Ctrl, REG_BPMBL, (UINT32)Address);
    if (!EFI_ERROR(Status)) Status = WriteRegister32(Ctrl, REG_BPMBL + 4, (UINT32)(Address >> 32));
    if (!EFI_ERROR(Status)) Status = WriteRegister32(Ctrl, REG_BPRSEL, Select);
    UINT32 Info = 0, Brs = BRS_IN_PROGRESS;
    /* The device finishes the DMA on its own; this poll has no time limit by design (the host watches). */
    while (!EFI_ERROR(Status) && Brs == BRS_IN_PROGRESS) {
      Status = ReadRegister32(Ctrl, REG_BPINFO, &Info);
      Brs = (Info >> BPINFO_BRS_SHIFT) & 3;
      if (Brs == BRS_IN_PROGRESS) uefi_call_wrapper(BS->Stall, 1, 100);
    }
    if (!EFI_ERROR(Status) && Brs != BRS_SUCCESS) {
      Print(L"BPFW bprsel-failed bpid=%d bprsel=0x%08x brs=%d\r\n", Bpid, Select, Brs);
      Status = EFI_DEVICE_ERROR;
    }
    if (!EFI_ERROR(Status)) CopyMem(Out + Offset, Chunk, Bytes);
  }
  BpfwFree(Chunk, BPFW_READ_CHUNK_BYTES);
  return Status;
}

EFI_STATUS BpfwGetProtection(BPFW_CONTROLLER *Ctrl, UINT32 *Value) {
  return BpfwAdmin(Ctrl, OPC_GET_FEATURES, FID_BP_WRITE_PROTECTION, 0, 0, 0, BPFW_CDW10_VALID, NULL, 0, Value);
}

/*
 * The downstream library's read-modify-write (NvmeSetLockState): Get Features 85h, replace this BP's
 * field, Set Features with the rest of the Get value. It sends the other BP's *current* state back
 * instead of 000b (no change) -- kept on purpose, the lab reproduces that sequence exactly.
 */
EFI_STATUS BpfwSetLockState(BPFW_CONTROLLER *Ctrl, UINT32 Bpid, UINT32 State) {
  UINT32 Current = 0;
  EFI_STATUS Status = BpfwGetProtection(Ctrl, &Current);
  if (EFI_ERROR(Status)) return Status;
  UINT32 Shift = Bpid == 0 ? 0 : 3;
  UINT32 Config = (Current & ~(7u << Shift)) | ((State & 7u) << Shift);
  Status = BpfwAdmin(Ctrl, OPC_SET_FEATURES, FID_BP_WRITE_PROTECTION, Config, 0, 0,
                     BPFW_CDW10_VALID | BPFW_CDW11_VALID, NULL, 0, NULL);
  Print(L"BPFW set-lock bpid=%d state=%d get=0x%02x set=0x%02x efi=0x%lx\r\n", Bpid, State, Current, Config,
        (UINT64)Status);
  return Status;
}

/* The whole BP in FWUG-sized pieces from offset 0, CDW12 = the BP data hint (downstream). */
EFI_STATUS BpfwDownload(BPFW_CONTROLLER *Ctrl, UINT8 *Image) {
  UINT8 *Block = BpfwAllocate(Ctrl->BlockBytes);
  if (!Block) return EFI_OUT_OF_RESOURCES;
  EFI_STATUS Status = EFI_SUCCESS;
  UINTN Count = Ctrl->BpBytes / Ctrl->BlockBytes;
  for (UINTN Index = 0; Index < Count && !EFI_ERROR(Status); Index++) {
    CopyMem(Block, Image + Index * Ctrl->BlockBytes, Ctrl->BlockBytes);
    Status = BpfwAdmin(Ctrl, OPC_FW_DOWNLOAD, (UINT32)(Ctrl->BlockBytes / 4 - 1),
                       (UINT32)(Index * Ctrl->BlockBytes / 4), FW_DOWNLOAD_BP_DATA_HINT, 0,
                       BPFW_CDW10_VALID | BPFW_CDW11_VALID | BPFW_CDW12_VALID, Block, (UINT32)Ctrl->BlockBytes,
                       NULL);
  }
  Print(L"BPFW download blocks=%d block-bytes=%d efi=0x%lx\r\n", Count, Ctrl->BlockBytes, (UINT64)Status);
  BpfwFree(Block, Ctrl->BlockBytes);
  return Status;
}

EFI_STATUS BpfwCommit(BPFW_CONTROLLER *Ctrl, UINT32 Bpid, UINT32 Action) {
  UINT32 Dw0 = 0;
  UINT32 Cdw10 = (Bpid << 31) | (Action << 3);
  EFI_STATUS Status = BpfwAdmin(Ctrl, OPC_FW_COMMIT, Cdw10, 0, 0, 0, BPFW_CDW10_VALID, NULL, 0, &Dw0);
  Print(L"BPFW commit bpid=%d ca=%d cdw10=0x%08x efi=0x%lx\r\n", Bpid, Action, Cdw10, (UINT64)Status);
  return Status;
}

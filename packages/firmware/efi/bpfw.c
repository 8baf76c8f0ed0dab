/*
 * bplab firmware: an EFI application that does what the downstream recovery firmware's storage
 * library does to the NVMe Boot Partitions before the OS starts (unlock, Firmware Image Download,
 * Firmware Commit CA=110b, lock until power cycle), through the firmware's own NVMe driver.
 * Every step prints one "BPFW <event> key=value..." line on the console (the serial port), which
 * the host parses; every failure prints "BPFW error step=... efi=... sct=... sc=..." and the app
 * returns an EFI error.
 *
 *   bpfw.efi update [--bpid 0|1] [--image \path] [--lock upc|locked|none] [--activate]
 *   bpfw.efi inspect
 *
 * Built with gnu-efi's SysV crt0: efi_main is deliberately NOT EFIAPI.
 */
#include "bpfw.h"

static EFI_STATUS Fail(CONST CHAR16 *Step, EFI_STATUS Status) {
  Print(L"BPFW error step=%s efi=0x%lx sct=%x sc=0x%02x\r\n", Step, (UINT64)Status, gLastStatus.Sct,
        gLastStatus.Sc);
  Print(L"BPFW done status=0x%lx\r\n", (UINT64)Status);
  return Status;
}

static BOOLEAN NextToken(CHAR16 **Cursor, CHAR16 *Token, UINTN Size) {
  CHAR16 *At = *Cursor;
  while (*At == L' ' || *At == L'\t') At++;
  if (*At == 0) return FALSE;
  UINTN Length = 0;
  while (*At != 0 && *At != L' ' && *At != L'\t') {
    if (Length + 1 < Size) Token[Length++] = *At;
    At++;
  }
  Token[Length] = 0;
  *Cursor = At;
  return TRUE;
}

static EFI_STATUS ParseArgs(EFI_HANDLE Image, BPFW_ARGS *Args) {
  EFI_LOADED_IMAGE *Loaded = NULL;
  EFI_STATUS Status = uefi_call_wrapper(BS->HandleProtocol, 3, Image, &LoadedImageProtocol, (VOID **)&Loaded);
  if (EFI_ERROR(Status)) return Status;
  Args->Mode = MODE_UPDATE;
  Args->Bpid = 1;
  StrCpy(Args->Image, L"\\bplab\\bp-new.bin");
  Args->Lock = LOCK_UNTIL_POWER_CYCLE;
  Args->Activate = FALSE;
  /* LoadOptions from the shell: "bpfw.efi arg...": a CHAR16 string, maybe not terminated. */
  CHAR16 Line[512];
  UINTN Chars = Loaded->LoadOptionsSize / sizeof(CHAR16);
  if (Chars >= 512) Chars = 511;
  if (Loaded->LoadOptions) CopyMem(Line, Loaded->LoadOptions, Chars * sizeof(CHAR16));
  Line[Loaded->LoadOptions ? Chars : 0] = 0;
  CHAR16 *Cursor = Line;
  CHAR16 Token[256];
  BOOLEAN First = TRUE;
  while (NextToken(&Cursor, Token, 256)) {
    if (First) {
      First = FALSE;
      continue; /* the program name */
    }
    if (StrCmp(Token, L"update") == 0) Args->Mode = MODE_UPDATE;
    else if (StrCmp(Token, L"inspect") == 0) Args->Mode = MODE_INSPECT;
    else if (StrCmp(Token, L"--activate") == 0) Args->Activate = TRUE;
    else if (StrCmp(Token, L"--bpid") == 0 || StrCmp(Token, L"--image") == 0 || StrCmp(Token, L"--lock") == 0) {
      CHAR16 Value[256];
      if (!NextToken(&Cursor, Value, 256)) {
        Print(L"BPFW bad-argument arg=%s reason=missing-value\r\n", Token);
        return EFI_INVALID_PARAMETER;
      }
      if (StrCmp(Token, L"--image") == 0) StrCpy(Args->Image, Value);
      else if (StrCmp(Token, L"--bpid") == 0 && (StrCmp(Value, L"0") == 0 || StrCmp(Value, L"1") == 0))
        Args->Bpid = Value[0] - L'0';
      else if (StrCmp(Token, L"--lock") == 0 && StrCmp(Value, L"upc") == 0) Args->Lock = LOCK_UNTIL_POWER_CYCLE;
      else if (StrCmp(Token, L"--lock") == 0 && StrCmp(Value, L"locked") == 0) Args->Lock = LOCK_LOCKED;
      else if (StrCmp(Token, L"--lock") == 0 && StrCmp(Value, L"none") == 0) Args->Lock = LOCK_NONE;
      else {
        Print(L"BPFW bad-argument arg=%s value=%s\r\n", Token, Value);
        return EFI_INVALID_PARAMETER;
      }
    } else {
      Print(L"BPFW bad-argument arg=%s\r\n", Token);
      return EFI_INVALID_PARAMETER;
    }
  }
  return EFI_SUCCESS;
}

/* The new image from the ESP, zero-filled to the whole BP (the library writes every block). */
static EFI_STATUS LoadImage(EFI_HANDLE Image, CONST CHAR16 *Path, UINTN BpBytes, UINT8 *Out) {
  EFI_LOADED_IMAGE *Loaded = NULL;
  EFI_STATUS Status = uefi_call_wrapper(BS->HandleProtocol, 3, Image, &LoadedImageProtocol, (VOID **)&Loaded);
  if (EFI_ERROR(Status)) return Status;
  EFI_FILE_HANDLE Root = LibOpenRoot(Loaded->DeviceHandle);
  if (!Root) return EFI_NOT_FOUND;
  EFI_FILE_HANDLE File = NULL;
  Status = uefi_call_wrapper(Root->Open, 5, Root, &File, (CHAR16 *)Path, EFI_FILE_MODE_READ, 0);
  if (!EFI_ERROR(Status)) {
    EFI_FILE_INFO *Info = LibFileInfo(File);
    if (!Info) Status = EFI_DEVICE_ERROR;
    else if (Info->FileSize > BpBytes) Status = EFI_BAD_BUFFER_SIZE;
    else {
      UINTN Size = Info->FileSize;
      Status = uefi_call_wrapper(File->Read, 3, File, &Size, Out);
      if (!EFI_ERROR(Status) && Size != Info->FileSize) Status = EFI_END_OF_FILE;
      Print(L"BPFW image path=%s bytes=%ld crc32=0x%08x efi=0x%lx\r\n", Path, Info->FileSize,
            BpfwCrc32(Out, BpBytes), (UINT64)Status);
    }
    if (Info) FreePool(Info);
    uefi_call_wrapper(File->Close, 1, File);
  }
  uefi_call_wrapper(Root->Close, 1, Root);
  return Status;
}

static EFI_STATUS ReportProtection(BPFW_CONTROLLER *Ctrl, CONST CHAR16 *When) {
  UINT32 Value = 0;
  EFI_STATUS Status = BpfwGetProtection(Ctrl, &Value);
  if (!EFI_ERROR(Status))
    Print(L"BPFW protection when=%s value=0x%02x bp0=%d bp1=%d\r\n", When, Value, Value & 7, (Value >> 3) & 7);
  return Status;
}

static EFI_STATUS ReadBothPartitions(BPFW_CONTROLLER *Ctrl, UINT8 *Log, UINT8 *Mmio) {
  for (UINT32 Bpid = 0; Bpid < BPFW_BP_COUNT; Bpid++) {
    EFI_STATUS Status = BpfwReadBpLog(Ctrl, Bpid, Log);
    if (EFI_ERROR(Status)) return Fail(L"read-log", Status);
    Print(L"BPFW bp-log bpid=%d bytes=%d crc32=0x%08x\r\n", Bpid, Ctrl->BpBytes, BpfwCrc32(Log, Ctrl->BpBytes));
    Status = BpfwReadBpRegisters(Ctrl, Bpid, Mmio);
    if (EFI_ERROR(Status)) return Fail(L"read-bprsel", Status);
    Print(L"BPFW bp-mmio bpid=%d bytes=%d crc32=0x%08x same-as-log=%d\r\n", Bpid, Ctrl->BpBytes,
          BpfwCrc32(Mmio, Ctrl->BpBytes), CompareMem(Log, Mmio, Ctrl->BpBytes) == 0);
  }
  return EFI_SUCCESS;
}

static EFI_STATUS Lock(BPFW_CONTROLLER *Ctrl, BPFW_LOCK Lock) {
  if (Lock == LOCK_NONE) {
    Print(L"BPFW lock mode=none\r\n");
    return EFI_SUCCESS;
  }
  UINT32 State = Lock == LOCK_LOCKED ? BPWPS_LOCKED : BPWPS_LOCKED_UNTIL_POWER_CYCLE;
  /* SreStorageLock once per partition, A then B, each a Get + Set. */
  for (UINT32 Bpid = 0; Bpid < BPFW_BP_COUNT; Bpid++) {
    EFI_STATUS Status = BpfwSetLockState(Ctrl, Bpid, State);
    if (EFI_ERROR(Status)) return Status;
  }
  Print(L"BPFW lock mode=%s\r\n", Lock == LOCK_LOCKED ? L"locked" : L"upc");
  return EFI_SUCCESS;
}

static EFI_STATUS Update(EFI_HANDLE Image, BPFW_CONTROLLER *Ctrl, BPFW_ARGS *Args, UINT8 *Buffer, UINT8 *Back) {
  ZeroMem(Buffer, Ctrl->BpBytes);
  EFI_STATUS Status = LoadImage(Image, Args->Image, Ctrl->BpBytes, Buffer);
  if (EFI_ERROR(Status)) return Fail(L"load-image", Status);
  Status = BpfwSetLockState(Ctrl, Args->Bpid, BPWPS_UNLOCKED);
  if (EFI_ERROR(Status)) return Fail(L"unlock", Status);
  Status = BpfwDownload(Ctrl, Buffer);
  if (EFI_ERROR(Status)) return Fail(L"download", Status);
  Status = BpfwCommit(Ctrl, Args->Bpid, 6);
  if (EFI_ERROR(Status)) return Fail(L"commit", Status);
  if (Args->Activate) {
    Status = BpfwCommit(Ctrl, Args->Bpid, 7);
    if (EFI_ERROR(Status)) return Fail(L"activate", Status);
  }
  Status = BpfwReadBpLog(Ctrl, Args->Bpid, Back);
  if (EFI_ERROR(Status)) return Fail(L"read-back", Status);
  BOOLEAN Match = CompareMem(Buffer, Back, Ctrl->BpBytes) == 0;
  Print(L"BPFW verify bpid=%d match=%d crc32=0x%08x\r\n", Args->Bpid, Match, BpfwCrc32(Back, Ctrl->BpBytes));
  if (!Match) return Fail(L"verify", EFI_CRC_ERROR);
  Status = Lock(Ctrl, Args->Lock);
  if (EFI_ERROR(Status)) return Fail(L"lock", Status);
  return EFI_SUCCESS;
}

EFI_STATUS efi_main(EFI_HANDLE Image, EFI_SYSTEM_TABLE *SystemTable) {
  InitializeLib(Image, SystemTable);
  BPFW_ARGS Args;
  EFI_STATUS Status = ParseArgs(Image, &Args);
  if (EFI_ERROR(Status)) return Fail(L"args", Status);
  Print(L"BPFW start mode=%s bpid=%d image=%s lock=%s activate=%d\r\n",
        Args.Mode == MODE_UPDATE ? L"update" : L"inspect", Args.Bpid, Args.Image,
        Args.Lock == LOCK_NONE ? L"none" : Args.Lock == LOCK_LOCKED ? L"locked" : L"upc", Args.Activate);
  BPFW_CONTROLLER Ctrl;
  ZeroMem(&Ctrl, sizeof(Ctrl));
  Status = BpfwFindController(&Ctrl);
  if (EFI_ERROR(Status)) return Fail(L"find-controller", Status);
  Status = BpfwReadRegisters(&Ctrl);
  if (EFI_ERROR(Status)) return Fail(L"registers", Status);
  Status = BpfwIdentify(&Ctrl);
  if (EFI_ERROR(Status)) return Fail(L"identify", Status);
  UINT8 *First = BpfwAllocate(Ctrl.BpBytes);
  UINT8 *Second = BpfwAllocate(Ctrl.BpBytes);
  if (!First || !Second) return Fail(L"allocate", EFI_OUT_OF_RESOURCES);
  Status = ReadBothPartitions(&Ctrl, First, Second);
  if (EFI_ERROR(Status)) return Status;
  Status = ReportProtection(&Ctrl, L"before");
  if (EFI_ERROR(Status)) return Fail(L"get-features", Status);
  if (Args.Mode == MODE_UPDATE) {
    Status = Update(Image, &Ctrl, &Args, First, Second);
    if (EFI_ERROR(Status)) return Status;
    Status = ReportProtection(&Ctrl, L"after");
    if (EFI_ERROR(Status)) return Fail(L"get-features", Status);
    Status = BpfwReadRegisters(&Ctrl);
    if (EFI_ERROR(Status)) return Fail(L"registers", Status);
  }
  BpfwFree(First, Ctrl.BpBytes);
  BpfwFree(Second, Ctrl.BpBytes);
  Print(L"BPFW done status=0x0\r\n");
  return EFI_SUCCESS;
}

/**
 * The Target contract from docs/architecture.md. @bplab/host owns it; until its build exports it,
 * this structural copy keeps the QEMU target type-checked against the same shape.
 */
export interface Target {
  readonly name: string;
  mmioRead32(offset: number): Promise<number>;
  mmioRead64(offset: number): Promise<bigint>;
  mmioWrite32(offset: number, value: number): Promise<void>;
  mmioWrite64(offset: number, value: bigint): Promise<void>;
  alloc(size: number, align?: number): Promise<bigint>;
  memRead(addr: bigint, length: number): Promise<Uint8Array>;
  memWrite(addr: bigint, data: Uint8Array): Promise<void>;
  settle(): Promise<void>;
  powerCycle(): Promise<void>;
  functionReset(): Promise<void>;
  close(): Promise<void>;
}

export interface TargetRequest {
  bpSizeBytes?: number;
  rpmb?: { locked: [boolean, boolean] };
}

export type TargetFactory = (request: TargetRequest) => Promise<Target>;

export interface TargetCapabilities {
  restartProcess: boolean;
  rpmbMode: boolean;
}

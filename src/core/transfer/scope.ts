import type { Io } from '../context.js';
import { MemoryBudget } from './pools.js';
import { keepYoungGenerationSmall } from '../runtime/memory.js';

/** 64 MiB: eight parts of the default size, across all transfers of a session. */
export const TRANSFER_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * What the transfers of one session share: the memory budget of their part and range buffers, and the folders already
 * cleared of stale temporary files. It lives as long as the session — one per run of sse3, so every transfer of the
 * process shares it — and no longer: another session in the same process (a unit test's) starts afresh, and nothing
 * one leaves behind (a buffer not given back, a folder swept) reaches the next.
 */
export class TransferScope {
  readonly budget = new MemoryBudget(TRANSFER_BUDGET_BYTES);
  /** Folders already cleared of stale temporary files (removeStaleTempFiles): each is read once per session. */
  readonly sweptFolders = new Set<string>();

  constructor() {
    keepYoungGenerationSmall();
  }
}

/**
 * The scope io's transfers share, made on the first transfer and kept on io: every transfer of a session (which is the
 * Io of all of them) shares one, and an Io made on its own — a unit test's — has its own.
 */
export function transfersOf(io: Io): TransferScope {
  return io.transfers ??= new TransferScope();
}

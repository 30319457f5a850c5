import type { Connection } from '../s3/client.js';
import type { ManifestStore } from '../manifest/store.js';
import type { TransferScope } from './transfer/scope.js';

/** What every operation on objects works through: the server, the manifest, and the user's Ctrl-C. */
export interface Io {
  conn: Connection;
  manifest: ManifestStore;
  signal?: AbortSignal;
  /** What the session's transfers share (buffer budget, swept folders); see transfersOf(). */
  transfers?: TransferScope;
}

/** How a transfer moves its bytes; every field has a default. */
export interface Tuning {
  /** Multipart part size in bytes. */
  partSize?: number;
  /** Parts or ranges in flight per object. */
  concurrency?: number;
  /** 'auto': server-side CopyObject where the server can; 'never': always stream through sse3. */
  serverSide?: 'auto' | 'never';
}

/** How a transfer reports to whoever renders it (a progress bar, nothing at all). */
export interface TransferEvents {
  /** Total size once known (undefined for a stream of unknown length). */
  onStart?: (size: number | undefined) => void;
  onBytes?: (n: number) => void;
  onWarning?: (message: string) => void;
}

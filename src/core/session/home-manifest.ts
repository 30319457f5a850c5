import { ManifestStore } from '../../manifest/store.js';
import { sse3Paths } from '../../paths.js';

/**
 * The home's manifest for one command: opened when first needed, then the same store for the rest of the command. A
 * write reads the default keys of its target before any request is sent, and its session then works with the store
 * that read them (SessionOptions.manifest). Whoever makes it closes it, after the session that used it.
 */
export class HomeManifest {
  #store?: ManifestStore;

  constructor(private readonly file: string = sse3Paths().manifestFile) {}

  get store(): ManifestStore {
    this.#store ??= new ManifestStore(this.file);
    return this.#store;
  }

  /** Close the store if it was opened; closing again does nothing. */
  close(): void {
    const store = this.#store;
    this.#store = undefined;
    store?.close();
  }
}

/** `work` with the command's HomeManifest, closed when it ends (after the session `work` opened over it). */
export async function withHomeManifest<T>(work: (manifest: HomeManifest) => Promise<T>): Promise<T> {
  const manifest = new HomeManifest();
  try {
    return await work(manifest);
  } finally {
    manifest.close();
  }
}

import { type BucketScan, recordBucketScan, type ScanFinding, scansFindingKey } from './bucket-scans.js';
import { backUpAfterChange, damagedManifest, isDamage, listBackups, moveAside } from './backup.js';
import { createPrivateFile, prepareManifestFiles } from './files.js';
import { Sse3Error } from '../errors.js';
import * as aliases from './aliases.js';
import type { ImportedRecords, ManifestDocument } from './document.js';
import { type EndpointAlias, type ManifestEntry, type ObjectLocation, type PendingUpload, recordableMtime, type RotationRecord } from './entry.js';
import { exportDocument, type ImportCounts, importRecords } from './import-export.js';
import * as journals from './journals.js';
import * as keyBook from './key-book.js';
import { LocalHashCache } from './local-hashes.js';
import { type ListOptions, type ManifestScope, latestPage, pagedEntries } from './object-pages.js';
import * as objects from './objects.js';
import { forgetPulled, ListedVersions, pullState, type PullScope, type PullState, rememberPulled } from './pull-state.js';
import { openManifestDb } from './schema.js';
import type { SqliteDb } from './sqlite.js';
import { WriteBehind } from './write-behind.js';

export { type EndpointAlias, type ManifestEntry, newEntry, type ObjectLocation, type PendingUpload, prefixSuccessor,
  type RotationRecord } from './entry.js';
export type { EndpointMerge } from './aliases.js';
export type { BucketScan, ScanFinding } from './bucket-scans.js';
export type { ImportCounts } from './import-export.js';
export type { KeyDefault, KeyRefRecord } from './key-book.js';
export type { RotationIntent } from './journals.js';
export type { LocalHash, LocalHashCache } from './local-hashes.js';
export type { ListOptions, ManifestScope } from './object-pages.js';
export type { ListedVersions, PulledVersion, PullRecord, PullScope, PullState } from './pull-state.js';

/**
 * The local record of which key encrypted which object: the one object commands and core hold. SQLite in WAL mode
 * with a busy timeout, so many sse3 processes can write at once and a kill at any moment leaves either the whole row
 * or none. It never holds key material.
 *
 * Each job is its own module (schema, aliases, write-behind, objects, object-pages, pull-state, journals,
 * import-export, local-hashes); this facade holds the connection and the one rule that ties them: once records are
 * deferred (deferRecords), every call that reads or writes object rows writes what waits first, so it sees every row
 * recorded before it (a read of one object's rows or rotations: when a write of that object waits).
 */
export class ManifestStore {
  readonly #file: string;
  readonly #db: SqliteDb;
  readonly #pending: WriteBehind;
  /** Whether this store changed a record (an object row, a journal entry, an alias): it is then backed up on close. */
  #changed = false;
  /** Listed LastModified times waiting to be kept (pinListed). */
  #pins: Array<{ entry: objects.ListedRecord; lastModified: string }> = [];
  /** sync's cache of local file checksums: in the same database, not part of the manifest's records. */
  readonly localHashes: LocalHashCache;

  /**
   * A manifest that is not a sound SQLite database, or in which SQLite's quick_check finds any page damaged, is reported
   * as damaged (MANIFEST_DAMAGED), naming the way back.
   */
  constructor(file: string) {
    this.#file = file;
    if (file !== ':memory:') prepareManifestFiles(file);
    try {
      this.#db = openManifestDb(file);
    } catch (e) {
      throw isDamage(e) ? damagedManifest(file, e, listBackups(file)[0]?.path) : e;
    }
    this.#pending = new WriteBehind(this.#db, (entry, older) => objects.writeObject(this.#db, entry, older));
    this.localHashes = new LocalHashCache(this.#db);
  }

  /** A consistent copy of the manifest at `path`, made while other sse3 processes may write. */
  backupTo(path: string): void {
    this.flush();
    // SQLite would create it 0644; an existing file keeps its mode.
    createPrivateFile(path);
    this.#db.copyTo(path);
  }

  /** Write what waits and close; a store that changed records backs the manifest up first (backUpAfterChange). */
  close(): void {
    try {
      this.flush();
      try {
        this.#writePins();
      } catch {
        // Only a refinement: a later listing compares with the bound again, or reads the tag.
      }
      if (this.#changed && this.#file !== ':memory:') {
        try {
          backUpAfterChange(this, this.#file);
        } catch {
          // A backup that cannot be written does not fail the command: the next run that changes the manifest tries again.
        }
      }
    } finally {
      this.#pending.stop();
      this.#db.close();
    }
  }

  /** From here on this store has changed records (see close). */
  #change(): void {
    this.#changed = true;
  }

  // --- Endpoint aliases (aliases.ts) ---

  addAlias(alias: string, endpoint: string): aliases.EndpointMerge & { endpoint: string } {
    this.#change();
    this.flush();
    return aliases.addAlias(this.#db, alias, endpoint);
  }

  resolveEndpoint(endpoint: string): string {
    return aliases.resolveEndpoint(this.#db, endpoint);
  }

  aliases(): EndpointAlias[] {
    return aliases.listAliases(this.#db);
  }

  // --- Default keys and remembered key references (key-book.ts) ---

  /** Set the default key of a scope (sse3 keys default); true when it replaced another. */
  setKeyDefault(d: keyBook.KeyDefault): boolean {
    this.#change();
    return keyBook.setDefault(this.#db, d);
  }

  /** Remove the default of exactly this scope; the one removed, if any. */
  unsetKeyDefault(endpoint: string, bucket: string, prefix: string): keyBook.KeyDefault | undefined {
    this.#change();
    return keyBook.unsetDefault(this.#db, endpoint, bucket, prefix);
  }

  /** Every default key (of one endpoint, or of all). */
  keyDefaults(endpoint?: string): keyBook.KeyDefault[] {
    return keyBook.listDefaults(this.#db, endpoint);
  }

  /** The defaults of one bucket, longest prefix first: the first a key starts with is the one that applies. */
  bucketKeyDefaults(endpoint: string, bucket: string): keyBook.KeyDefault[] {
    return keyBook.bucketDefaults(this.#db, endpoint, bucket);
  }

  /**
   * The default scopes a key serves, on every endpoint: none means no `keys default` names it. What a command that
   * retires a key asks before removing it.
   */
  defaultScopesOf(fingerprint: string): keyBook.KeyDefault[] {
    return keyBook.defaultsOf(this.#db, fingerprint);
  }

  /**
   * Remember where keys were found (file:, env:, keychain: references, never a key), and when the `used` ones were last
   * used. Not a change of the records: no backup for it.
   */
  rememberKeyRefs(refs: Array<{ fingerprint: string; ref: string; used: boolean }>, at = new Date().toISOString()): void {
    keyBook.rememberRefs(this.#db, refs, at);
  }

  /** The references remembered for a key (or for every key), most recently used first. */
  keyRefs(fingerprint?: string): keyBook.KeyRefRecord[] {
    return keyBook.keyRefs(this.#db, fingerprint);
  }

  // --- Recording objects (write-behind.ts, objects.ts) ---

  /**
   * From now on record() queues its rows and writes them `max` at a time in one transaction, or `ms` after the first
   * one waits; close() and the process's exit write the rest (see WriteBehind).
   */
  deferRecords(max = 64, ms = 20): void {
    this.#pending.start(max, ms);
  }

  /** Write the rows record() queued (deferRecords), in one transaction. A failure keeps them queued and is thrown. */
  flush(): void {
    this.#pending.flush();
  }

  /** Before a read of one object's rows: flush when a write of that object waits (a batch's other objects need not). */
  #flushFor(obj: { bucket: string; key: string }): void {
    if (this.#pending.holds(obj)) this.flush();
  }

  /** Record a confirmed encrypted write, as its object's latest version (older: below the versions recorded). */
  record(e: ManifestEntry, opts: { older?: boolean } = {}): void {
    this.#change();
    this.#pending.add(e, Boolean(opts.older));
  }

  /** Forget an object version that was deleted; true when there was a row. */
  remove(loc: ObjectLocation, versionId: string): boolean {
    this.#change();
    this.flush();
    return objects.removeObject(this.#db, loc, versionId);
  }

  /** A SHA-256 found later; `retagged` when it was written to the version's tags too (see objects.setSha256). */
  setSha256(loc: ObjectLocation, versionId: string, sha256: string, retagged?: { modifiedBefore: string | null }): void {
    this.#change();
    this.flush();
    this.#db.immediate(() => objects.setSha256(this.#db, loc, versionId, sha256, retagged));
  }

  /**
   * A listing showed this recorded version with this LastModified (core/recorded.ts): kept, a few hundred at a time in
   * one transaction (close() writes the rest). Not a change of the records (no backup for it): losing one costs a tag read.
   */
  pinListed(entry: objects.ListedRecord, lastModified: string): void {
    this.#pins.push({ entry, lastModified });
    if (this.#pins.length >= 256) this.#writePins();
  }

  #writePins(): void {
    const pins = this.#pins;
    this.#pins = [];
    if (pins.length && this.#db.isOpen) this.#db.immediate(() => { for (const p of pins) objects.pinListed(this.#db, p.entry, p.lastModified); });
  }

  setMtime(loc: ObjectLocation, versionId: string, mtimeMs: number): void {
    this.#change();
    this.flush();
    objects.setMtime(this.#db, loc, versionId, recordableMtime(mtimeMs));
  }

  // --- Object queries (objects.ts, object-pages.ts) ---

  /** The given version, or the latest one recorded for the object. */
  lookup(loc: ObjectLocation, versionId?: string): ManifestEntry | undefined {
    this.#flushFor(loc);
    return objects.lookup(this.#db, loc, versionId);
  }

  /** Every recorded version of one object, newest first. */
  versions(loc: ObjectLocation): ManifestEntry[] {
    this.#flushFor(loc);
    return objects.versions(this.#db, loc);
  }

  count(): number {
    this.flush();
    return objects.countObjects(this.#db);
  }

  fingerprintUse(): Map<string, number> {
    this.flush();
    return objects.fingerprintUse(this.#db);
  }

  /** Per endpoint and bucket, how many recorded object versions are under the key. */
  recordedBucketsOf(fingerprint: string): Array<{ endpoint: string; bucket: string; versions: number }> {
    this.flush();
    return objects.recordedBucketsOf(this.#db, fingerprint);
  }

  // --- The latest whole-bucket scan of each bucket (bucket-scans.ts): what keys its objects need ---

  recordBucketScan(scan: BucketScan): void {
    recordBucketScan(this.#db, scan);
  }

  scansFindingKey(fingerprint: string): ScanFinding[] {
    return scansFindingKey(this.#db, fingerprint);
  }

  olderVersions(endpoint: string, fingerprint: string): { versions: number; objects: number } {
    this.flush();
    return objects.olderVersions(this.#db, endpoint, fingerprint);
  }

  /** Entries in scope (every version), ordered by object then newest first. */
  list(scope: ManifestScope = {}, opts: ListOptions = {}): ManifestEntry[] {
    return [...this.entries(scope, opts)];
  }

  /**
   * The entries of list(), in the same order, read a page at a time: the connection stays free between pages, so the
   * same store can record while the caller works through them.
   */
  entries(scope: ManifestScope = {}, opts: ListOptions = {}, pageSize = 1000): Generator<ManifestEntry> {
    return pagedEntries(this.#db, scope, opts, pageSize, () => this.flush());
  }

  /** The latest recorded version of each object under a prefix, a page at a time in S3 key order (object-pages.ts). */
  latestPage(scope: { endpoint: string; bucket: string; prefix: string }, after: string | undefined, limit: number): ManifestEntry[] {
    this.flush();
    return latestPage(this.#db, scope, after, limit);
  }

  // --- manifest pull's state (pull-state.ts) ---

  /** What manifest pull saw of one object at its last pass, beside its recorded versions. */
  pullState(loc: ObjectLocation): PullState {
    this.flush();
    return pullState(this.#db, loc);
  }

  /** Where one pull keeps the versions it lists, to tell at its end which recorded ones are gone (pull-state.ts). */
  listedVersions(scope: PullScope): ListedVersions {
    this.flush();
    return new ListedVersions(this.#db, scope, () => this.flush());
  }

  rememberPulled(loc: ObjectLocation, versionId: string, stamp: string, tagged: boolean): void {
    rememberPulled(this.#db, loc, versionId, stamp, tagged);
  }

  forgetPulled(loc: ObjectLocation, versionId: string): void {
    forgetPulled(this.#db, loc, versionId);
  }

  // --- Journals (journals.ts) ---

  journalRotation(r: journals.RotationIntent): number {
    this.#change();
    this.flush();
    return journals.journalRotation(this.#db, r);
  }

  /**
   * Settle a journalled rotation. Rows still waiting to be written go in the same transaction first: a rotation
   * marked done always has its new version recorded.
   */
  settleRotation(id: number, state: 'done' | 'abandoned'): void {
    this.#change();
    this.#db.immediate(() => {
      this.flush();
      journals.settleRotation(this.#db, id, state);
    });
  }

  /**
   * A rotation whose write was confirmed and its new version recorded (record()) is done: with deferred records,
   * settled in the transaction that writes that row (after it), else at once. Until then it stays pending, as after a
   * kill between write and settlement, which settleRotations() resolves by asking the object.
   */
  rotationDone(id: number, loc: ObjectLocation): void {
    this.#change();
    this.#pending.addWork(loc, () => journals.settleRotation(this.#db, id, 'done'));
  }

  openRotations(endpoint?: string): RotationRecord[] {
    this.flush();
    return journals.openRotations(this.#db, endpoint);
  }

  /** Journal a rotation unless another one of the object stands in its way (journals.claimRotation). */
  claimRotation(r: journals.RotationIntent, conflict: (others: RotationRecord[]) => RotationRecord | undefined)
    : { id: number; others: RotationRecord[] } | { conflict: RotationRecord } {
    this.#flushFor(r);
    return journals.claimRotation(this.#db, r, conflict);
  }

  /** Every rotation journalled of one object, any state, oldest first. */
  rotationsOf(loc: ObjectLocation): RotationRecord[] {
    this.#flushFor(loc);
    return journals.rotationsOf(this.#db, loc);
  }

  rotation(id: number): RotationRecord | undefined {
    this.flush();
    return journals.rotation(this.#db, id);
  }

  lastRotationId(): number {
    return journals.lastRotationId(this.#db);
  }

  beginUpload(u: PendingUpload): void {
    this.#change();
    this.flush();
    journals.beginUpload(this.#db, u);
  }

  completingUpload(loc: ObjectLocation, uploadId: string, sha256: string, size: number): void {
    this.#change();
    this.flush();
    journals.completingUpload(this.#db, loc, uploadId, sha256, size);
  }

  /** Record the finished object and forget its upload in one transaction. */
  recordUpload(e: ManifestEntry, uploadId: string): void {
    this.#change();
    this.flush();
    this.#db.immediate(() => {
      this.record(e);
      this.endUpload(e, uploadId);
    });
  }

  endUpload(loc: ObjectLocation, uploadId: string): void {
    this.#change();
    this.flush();
    journals.endUpload(this.#db, loc, uploadId);
  }

  pendingUploads(endpoint?: string): PendingUpload[] {
    return journals.pendingUploads(this.#db, endpoint);
  }

  // --- The manifest as a whole (import-export.ts) ---

  /** Everything, for `manifest export`: every object version, open rotations and uploads, endpoint aliases. */
  document(): ManifestDocument {
    return exportDocument(this.#db, this.list());
  }

  /** Add the checked records of an export or a backup (parseManifestDocument, readBackupRecords), in one transaction. */
  importRecords(records: Omit<ImportedRecords, 'notImported'>): ImportCounts {
    this.#change();
    this.flush();
    return importRecords(this.#db, records);
  }
}

/** Open the manifest; a damaged one is moved aside first (never deleted) and a new, empty one made in its place. */
export function openManifestReplacingDamaged(file: string): { manifest: ManifestStore; movedAside?: string } {
  try {
    return { manifest: new ManifestStore(file) };
  } catch (e) {
    if (!(e instanceof Sse3Error && e.code === 'MANIFEST_DAMAGED')) throw e;
    const movedAside = moveAside(file);
    return { manifest: new ManifestStore(file), movedAside };
  }
}

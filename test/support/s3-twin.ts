// An in-memory S3 that implements just enough of SSE-C for fast unit tests of core logic.
// End-to-end tests use the real Ceph RGW instead.
import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import type { Connection } from '../../src/s3/client.js';
import { sdkObjects } from '../../src/s3/objects.js';
import { type TwinEncryption, TwinEncryptionStore } from './twin-encryption.js';

interface StoredObject {
  body: Buffer; keyMd5?: string; metadata: Record<string, string>; tags: Record<string, string>; versionId?: string; contentType?: string;
  /** The ETag listings show (the one the write that made the object answered, or its HEAD). */
  etag?: string;
}
type Input = Record<string, any>;

export class S3Error extends Error {
  $metadata: { httpStatusCode: number };
  Code: string;
  constructor(code: string, status: number) {
    super(code);
    this.name = code;
    this.Code = code;
    this.$metadata = { httpStatusCode: status };
  }
}

/** What the SDK throws when the server never answers: no HTTP status, a socket error code. */
export function networkError(code = 'ECONNRESET'): Error {
  return Object.assign(new Error(`socket hang up (${code})`), { code });
}

/** What the SDK throws when --timeout runs out. */
export function timeoutError(): Error {
  return Object.assign(new Error('connection timed out'), { name: 'TimeoutError' });
}

export interface TwinOptions {
  /** false: behave like a server that ignores SSE-C headers and stores plaintext. */
  encrypts?: boolean | ((op: string) => boolean);
  /** Fail UploadPart for this part number. */
  failPart?: number;
  versioned?: boolean;
  /**
   * CopyObject from an SSE-C source: 'supported' (as AWS), 'not-implemented'
   * (501, as Ceph RGW before 2025), or 'plaintext' (200, but the copy is stored
   * unencrypted and the response carries no SSE-C headers).
   */
  serverSideCopy?: 'supported' | 'not-implemented' | 'plaintext';
  /** Endpoint identity of connection(); sse3 remembers per endpoint that server-side copy is unavailable. */
  endpoint?: string;
  /** Answer a request with 500 InternalError when this returns true (the request is not carried out). */
  failWhen?: (op: string, input: Input) => boolean;
  /** Fail a request with the error this returns, if any (an S3Error, or a network error such as networkError()). */
  errorFor?: (op: string, input: Input) => Error | undefined;
  /** A ranged GetObject whose body ends early (the connection closed mid-body) when this returns true. */
  cutShort?: (range: string) => boolean;
  /** 'javascript': list keys in UTF-16 order instead of S3's UTF-8 byte order, as a broken server might. */
  listOrder?: 'javascript';
  /** Keys per ListObjectsV2 page, versions per ListObjectVersions page (default 1000). */
  pageSize?: number;
  /** Answer a request only once the promise this returns has settled (to make answers arrive out of order). */
  holdAnswer?: (op: string, input: Input) => Promise<unknown> | undefined;
  /**
   * Every bucket's encryption configuration until a PutBucketEncryption changes it: the ServerSideEncryptionConfiguration
   * (the SDK's shape) or its XML as the server answers it; undefined: none (404). See twin-encryption.ts.
   */
  bucketEncryption?: TwinEncryption;
}

export class S3Twin {
  readonly objects = new Map<string, StoredObject>();
  readonly uploads = new Map<string, { key: string; parts: Map<number, Buffer>; keyMd5?: string; tags: Record<string, string>;
    metadata: Record<string, string> }>();
  readonly requests: Array<{ op: string; input: Input }> = [];
  /** Requests in the order they were answered. */
  readonly answered: Array<{ op: string; input: Input }> = [];
  readonly deleted: string[] = [];
  readonly encryption: TwinEncryptionStore;
  /** Versioned twins only: every version of each object, oldest first (the current one is also in objects). */
  readonly history = new Map<string, StoredObject[]>();
  /** Versioned twins only: the version ids of the delete markers a DeleteObject without a version left, oldest first. */
  readonly deleteMarkers = new Map<string, string[]>();
  #next = 1;
  /** Creation order of versions and delete markers, which listings give newest first. */
  #seq = 0;
  readonly #born = new WeakMap<object, number>();
  readonly #markerBorn = new Map<string, number>();

  constructor(readonly opts: TwinOptions = {}) {
    this.encryption = new TwinEncryptionStore(opts.bucketEncryption);
  }

  connection(): Connection {
    // An S3Client by prototype, so the SDK's paginators accept it; every request goes to the twin.
    const client = Object.assign(Object.create(S3Client.prototype), { send: (cmd: any) => this.send(cmd), destroy() {} });
    return { client, singleAttemptClient: client, objects: sdkObjects(client, client), endpoint: this.opts.endpoint ?? 'https://twin',
      region: 'us-east-1', limits: {}, close() {} };
  }

  /** Make obj the current version of id (and keep it in the history when versioned). */
  store(id: string, obj: StoredObject): void {
    this.#born.set(obj, this.#seq++);
    this.objects.set(id, obj);
    if (this.opts.versioned) this.history.set(id, [...(this.history.get(id) ?? []), obj]);
  }

  #find(bucket: string, key: string, versionId?: string): StoredObject {
    const id = `${bucket}/${key}`;
    const current = this.objects.get(id);
    // As S3: an object written with no version id (versioning off or suspended) is the version named "null".
    const named = (o: StoredObject) => o.versionId ?? 'null';
    if (versionId === undefined || (current && named(current) === versionId)) {
      if (!current) throw new S3Error('NoSuchKey', 404);
      return current;
    }
    const v = this.history.get(id)?.find((o) => named(o) === versionId);
    if (!v) throw new S3Error('NoSuchVersion', 404);
    return v;
  }

  #decryptable(obj: StoredObject, key?: string, md5?: string): void {
    const sent = key ? this.#sse({ SSECustomerKey: key, SSECustomerKeyMD5: md5 }).SSECustomerKeyMD5 : undefined;
    if (obj.keyMd5 && sent !== obj.keyMd5) throw new S3Error(sent ? 'AccessDenied' : 'InvalidRequest', sent ? 403 : 400);
  }

  #sse(input: Input, op = ''): { SSECustomerAlgorithm?: string; SSECustomerKeyMD5?: string } {
    const encrypts = typeof this.opts.encrypts === 'function' ? this.opts.encrypts(op) : this.opts.encrypts !== false;
    if (!encrypts || !input.SSECustomerKey) return {};
    const md5 = createHash('md5').update(Buffer.from(input.SSECustomerKey, 'base64')).digest('base64');
    if (md5 !== input.SSECustomerKeyMD5) throw new S3Error('InvalidArgument', 400);
    return { SSECustomerAlgorithm: 'AES256', SSECustomerKeyMD5: md5 };
  }

  #open(input: Input): StoredObject {
    const obj = this.#find(input.Bucket, input.Key, input.VersionId);
    this.#decryptable(obj, input.SSECustomerKey, input.SSECustomerKeyMD5);
    return obj;
  }

  /**
   * Keys of a bucket (from ids "bucket/key") under prefix in listing order, each with the common prefix it is grouped
   * under when a delimiter follows the prefix in it.
   */
  #listed(bucket: string, ids: string[], prefix = '', delimiter?: string): Array<{ key: string; prefix?: string }> {
    const order = this.opts.listOrder === 'javascript' ? (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
      : (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const keys = [...new Set(ids.filter((id) => id.startsWith(`${bucket}/${prefix}`)).map((id) => id.slice(bucket.length + 1)))].sort(order);
    return keys.map((key) => {
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      return cut === -1 ? { key } : { key, prefix: key.slice(0, cut + delimiter!.length) };
    });
  }

  /** ListObjectVersions: versions and delete markers, by key, newest first, resumed after (KeyMarker, VersionIdMarker). */
  #listVersions(input: Input): any {
    type Row = { key: string; prefix?: string; versionId: string; obj?: StoredObject; latest: boolean; born?: number };
    const ids = [...this.objects.keys(), ...this.history.keys(), ...this.deleteMarkers.keys()];
    const rows: Row[] = [];
    for (const { key, prefix } of this.#listed(input.Bucket, ids, input.Prefix, input.Delimiter)) {
      if (prefix !== undefined) {
        if (rows.at(-1)?.prefix !== prefix) rows.push({ key, prefix, versionId: '', latest: false });
        continue;
      }
      const id = `${input.Bucket}/${key}`;
      const current = this.objects.get(id);
      const versions = this.history.get(id) ?? (current ? [current] : []);
      const entries: Row[] = [
        ...versions.map((obj) => ({ key, versionId: obj.versionId ?? 'null', obj, latest: obj === current, born: this.#born.get(obj) ?? 0 })),
        ...(this.deleteMarkers.get(id) ?? []).map((versionId) => ({ key, versionId, latest: false,
          born: this.#markerBorn.get(`${id}#${versionId}`) ?? 0 })),
      ];
      // Newest first. The latest delete marker is current when no object is.
      entries.sort((a, b) => (b.born ?? 0) - (a.born ?? 0));
      if (!current && entries[0] && !entries[0].obj) entries[0].latest = true;
      rows.push(...entries);
    }
    // Resumed after the row the markers name: a version (key and version id), or a common prefix (key alone).
    const after = input.KeyMarker === undefined ? -1 : rows.findIndex((r) => (input.VersionIdMarker
      ? r.prefix === undefined && r.key === input.KeyMarker && r.versionId === input.VersionIdMarker : r.prefix === input.KeyMarker));
    if (input.KeyMarker !== undefined && after === -1) throw new Error(`S3 twin: no listing row at ${input.KeyMarker} ${input.VersionIdMarker}`);
    const from = after + 1;
    const page = rows.slice(from, from + (this.opts.pageSize ?? 1000));
    const more = from + page.length < rows.length;
    const last = page.at(-1);
    return {
      Versions: page.filter((r) => r.obj).map((r) => ({ Key: r.key, VersionId: r.versionId, IsLatest: r.latest,
        Size: r.obj!.body.length, ETag: r.obj!.etag ?? '"e"' })),
      DeleteMarkers: page.filter((r) => !r.obj && r.prefix === undefined).map((r) => ({ Key: r.key, VersionId: r.versionId, IsLatest: r.latest })),
      CommonPrefixes: page.filter((r) => r.prefix !== undefined).map((r) => ({ Prefix: r.prefix })),
      IsTruncated: more,
      NextKeyMarker: more ? last!.prefix ?? last!.key : undefined,
      NextVersionIdMarker: more && last!.prefix === undefined ? last!.versionId : undefined,
    };
  }

  async send(cmd: { constructor: { name: string }; input: Input }): Promise<any> {
    const op = cmd.constructor.name.replace(/Command$/, '');
    const input = cmd.input;
    this.requests.push({ op, input });
    if (this.opts.failWhen?.(op, input)) throw new S3Error('InternalError', 500);
    const injected = this.opts.errorFor?.(op, input);
    if (injected) throw injected;
    await this.opts.holdAnswer?.(op, input);
    // A bucket that blocks SSE-C refuses every write that carries a key, as AWS does: 403, nothing SSE-C-specific said.
    if (['PutObject', 'CreateMultipartUpload', 'CopyObject'].includes(op) && input.SSECustomerAlgorithm
      && await this.encryption.blocksSseC(input.Bucket)) throw new S3Error('AccessDenied', 403);
    try {
      return await this.#answer(op, input);
    } finally {
      this.answered.push({ op, input });
    }
  }

  async #answer(op: string, input: Input): Promise<any> {
    const id = `${input.Bucket}/${input.Key}`;
    const version = () => (this.opts.versioned ? `v${this.#next++}` : undefined);
    const tagsOf = (t?: string) => Object.fromEntries(new URLSearchParams(t ?? ''));
    switch (op) {
      case 'PutObject': {
        const sse = this.#sse(input, op);
        const versionId = version();
        this.store(id, { body: Buffer.from(input.Body), keyMd5: sse.SSECustomerKeyMD5, metadata: input.Metadata ?? {},
          tags: tagsOf(input.Tagging), versionId, contentType: input.ContentType, etag: '"single"' });
        return { ETag: '"single"', VersionId: versionId, ...sse };
      }
      case 'CreateMultipartUpload': {
        const sse = this.#sse(input);
        const uploadId = `u${this.#next++}`;
        this.uploads.set(uploadId, { key: id, parts: new Map(), keyMd5: sse.SSECustomerKeyMD5, tags: tagsOf(input.Tagging),
          metadata: input.Metadata ?? {} });
        return { UploadId: uploadId, ...sse };
      }
      case 'UploadPart': {
        const up = this.uploads.get(input.UploadId);
        if (!up) throw new S3Error('NoSuchUpload', 404);
        if (input.PartNumber === this.opts.failPart) throw new S3Error('InternalError', 500);
        const sse = this.#sse(input);
        if (sse.SSECustomerKeyMD5 !== up.keyMd5) throw new S3Error('InvalidArgument', 400);
        up.parts.set(input.PartNumber, Buffer.from(input.Body));
        return { ETag: `"p${input.PartNumber}"`, ...sse };
      }
      case 'CompleteMultipartUpload': {
        const up = this.uploads.get(input.UploadId);
        if (!up) throw new S3Error('NoSuchUpload', 404);
        const body = Buffer.concat(input.MultipartUpload.Parts.map((p: any) => up.parts.get(p.PartNumber)!));
        this.uploads.delete(input.UploadId);
        const versionId = version();
        this.store(id, { body, keyMd5: up.keyMd5, metadata: up.metadata, tags: up.tags, versionId, etag: '"etag-from-head"' });
        return { ETag: '', VersionId: versionId };
      }
      case 'AbortMultipartUpload':
        // S3 answers NoSuchUpload for an upload that completed, was aborted, or never was.
        if (!this.uploads.delete(input.UploadId)) throw new S3Error('NoSuchUpload', 404);
        return {};
      case 'HeadObject': {
        const obj = this.#open(input);
        return { ContentLength: obj.body.length, ETag: '"etag-from-head"', VersionId: obj.versionId, Metadata: obj.metadata,
          ContentType: obj.contentType,
          ...(obj.keyMd5 ? { SSECustomerAlgorithm: 'AES256', SSECustomerKeyMD5: obj.keyMd5 } : {}) };
      }
      case 'GetObject': {
        const obj = this.#open(input);
        const { Readable } = await import('node:stream');
        const sse = obj.keyMd5 ? { SSECustomerAlgorithm: 'AES256', SSECustomerKeyMD5: obj.keyMd5 } : {};
        const range = /^bytes=(\d+)-(\d+)$/.exec(input.Range ?? '');
        if (!range) {
          return { Body: Readable.from([obj.body]), ContentLength: obj.body.length, ETag: '"e"', VersionId: obj.versionId,
            Metadata: obj.metadata, ...sse };
        }
        const start = Number(range[1]);
        if (start >= obj.body.length) throw new S3Error('InvalidRange', 416);
        const end = Math.min(Number(range[2]), obj.body.length - 1);
        const slice = obj.body.subarray(start, end + 1);
        const sent = this.opts.cutShort?.(input.Range) ? slice.subarray(0, slice.length >> 1) : slice;
        return { Body: Readable.from([sent]), ContentLength: slice.length, ContentRange: `bytes ${start}-${end}/${obj.body.length}`,
          ETag: '"e"', VersionId: obj.versionId, Metadata: obj.metadata, ...sse };
      }
      case 'CopyObject': {
        const [path, query] = String(input.CopySource).split('?');
        const slash = path.indexOf('/');
        const source = this.#find(path.slice(0, slash), decodeURIComponent(path.slice(slash + 1)),
          query ? new URLSearchParams(query).get('versionId') ?? undefined : undefined);
        const mode = this.opts.serverSideCopy ?? 'supported';
        if (source.keyMd5 && mode === 'not-implemented') throw new S3Error('NotImplemented', 501);
        this.#decryptable(source, input.CopySourceSSECustomerKey, input.CopySourceSSECustomerKeyMD5);
        const sse = mode === 'plaintext' ? {} : this.#sse(input);
        const versionId = version();
        this.store(id, {
          body: Buffer.from(source.body), keyMd5: sse.SSECustomerKeyMD5, versionId,
          metadata: input.MetadataDirective === 'REPLACE' ? input.Metadata ?? {} : { ...source.metadata },
          tags: input.TaggingDirective === 'REPLACE' ? tagsOf(input.Tagging) : { ...source.tags },
          contentType: input.MetadataDirective === 'REPLACE' ? input.ContentType : source.contentType,
        });
        return { CopyObjectResult: { ETag: '"copied"' }, VersionId: versionId, ...sse };
      }
      case 'PutObjectTagging': {
        const obj = this.#find(input.Bucket, input.Key, input.VersionId);
        obj.tags = Object.fromEntries(input.Tagging.TagSet.map((t: any) => [t.Key, t.Value]));
        return {};
      }
      case 'GetObjectTagging': {
        const obj = this.#find(input.Bucket, input.Key, input.VersionId);
        return { TagSet: Object.entries(obj.tags).map(([Key, Value]) => ({ Key, Value })), VersionId: obj.versionId };
      }
      case 'ListObjectsV2': {
        // One row per key, or per common prefix (counted once) when a delimiter groups keys below it.
        const rows = this.#listed(input.Bucket, [...this.objects.keys()], input.Prefix, input.Delimiter)
          .filter((r, i, all) => r.prefix === undefined || all[i - 1]?.prefix !== r.prefix);
        const name = (r: { key: string; prefix?: string }) => r.prefix ?? r.key;
        const from = input.ContinuationToken ? rows.findIndex((r) => name(r) === input.ContinuationToken) + 1 : 0;
        const page = rows.slice(from, from + (this.opts.pageSize ?? 1000));
        const more = from + page.length < rows.length;
        return {
          Contents: page.filter((r) => r.prefix === undefined).map(({ key }) => {
            const o = this.objects.get(`${input.Bucket}/${key}`)!;
            return { Key: key, Size: o.body.length, ETag: o.etag ?? '"e"' };
          }),
          CommonPrefixes: page.filter((r) => r.prefix !== undefined).map((r) => ({ Prefix: r.prefix })),
          IsTruncated: more, NextContinuationToken: more ? name(page.at(-1)!) : undefined,
        };
      }
      case 'ListObjectVersions':
        return this.#listVersions(input);
      case 'ListBuckets':
        return { Buckets: [...new Set([...this.objects.keys()].map((id) => id.slice(0, id.indexOf('/'))))].sort().map((Name) => ({ Name })) };
      case 'DeleteObject': {
        this.deleted.push(id);
        const versions = this.history.get(id);
        if (input.VersionId === undefined && this.opts.versioned) {
          // S3 keeps every version and puts a delete marker on top.
          const marker = `v${this.#next++}`;
          this.#markerBorn.set(`${id}#${marker}`, this.#seq++);
          this.deleteMarkers.set(id, [...(this.deleteMarkers.get(id) ?? []), marker]);
          this.objects.delete(id);
          return { DeleteMarker: true, VersionId: marker };
        }
        if (input.VersionId === undefined || !versions) {
          this.objects.delete(id);
          return {};
        }
        // Deleting one version makes the previous one current again, as S3 does.
        const rest = versions.filter((v) => v.versionId !== input.VersionId);
        this.history.set(id, rest);
        if (rest.length) this.objects.set(id, rest[rest.length - 1]);
        else this.objects.delete(id);
        return { VersionId: input.VersionId };
      }
      case 'GetBucketEncryption':
      case 'PutBucketEncryption':
        return this.encryption.answer(op, input);
      default:
        throw new Error(`S3 twin: ${op} not implemented`);
    }
  }
}

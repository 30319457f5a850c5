// An in-memory S3 that implements just enough of SSE-C for fast unit tests of core logic.
// End-to-end tests use the real Ceph RGW instead.
import { createHash } from 'node:crypto';
import type { Connection } from '../../src/s3/client.js';

interface StoredObject { body: Buffer; keyMd5?: string; metadata: Record<string, string>; tags: Record<string, string>; versionId?: string }
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

export interface TwinOptions {
  /** false: behave like a server that ignores SSE-C headers and stores plaintext. */
  encrypts?: boolean;
  /** Fail UploadPart for this part number. */
  failPart?: number;
  versioned?: boolean;
}

export class S3Twin {
  readonly objects = new Map<string, StoredObject>();
  readonly uploads = new Map<string, { key: string; parts: Map<number, Buffer>; keyMd5?: string; tags: Record<string, string> }>();
  readonly requests: Array<{ op: string; input: Input }> = [];
  readonly deleted: string[] = [];
  #next = 1;

  constructor(readonly opts: TwinOptions = {}) {}

  connection(): Connection {
    return { client: { send: (cmd: any) => this.send(cmd), destroy() {} } as any, endpoint: 'https://twin', region: 'us-east-1' };
  }

  #sse(input: Input): { SSECustomerAlgorithm?: string; SSECustomerKeyMD5?: string } {
    if (this.opts.encrypts === false || !input.SSECustomerKey) return {};
    const md5 = createHash('md5').update(Buffer.from(input.SSECustomerKey, 'base64')).digest('base64');
    if (md5 !== input.SSECustomerKeyMD5) throw new S3Error('InvalidArgument', 400);
    return { SSECustomerAlgorithm: 'AES256', SSECustomerKeyMD5: md5 };
  }

  #open(input: Input): StoredObject {
    const obj = this.objects.get(`${input.Bucket}/${input.Key}`);
    if (!obj) throw new S3Error('NoSuchKey', 404);
    const sent = input.SSECustomerKey ? this.#sse(input).SSECustomerKeyMD5 : undefined;
    if (obj.keyMd5 && sent !== obj.keyMd5) throw new S3Error(sent ? 'AccessDenied' : 'InvalidRequest', sent ? 403 : 400);
    return obj;
  }

  async send(cmd: { constructor: { name: string }; input: Input }): Promise<any> {
    const op = cmd.constructor.name.replace(/Command$/, '');
    const input = cmd.input;
    this.requests.push({ op, input });
    const id = `${input.Bucket}/${input.Key}`;
    const version = () => (this.opts.versioned ? `v${this.#next++}` : undefined);
    const tagsOf = (t?: string) => Object.fromEntries(new URLSearchParams(t ?? ''));
    switch (op) {
      case 'PutObject': {
        const sse = this.#sse(input);
        const versionId = version();
        this.objects.set(id, { body: Buffer.from(input.Body), keyMd5: sse.SSECustomerKeyMD5, metadata: input.Metadata ?? {},
          tags: tagsOf(input.Tagging), versionId });
        return { ETag: '"single"', VersionId: versionId, ...sse };
      }
      case 'CreateMultipartUpload': {
        const sse = this.#sse(input);
        const uploadId = `u${this.#next++}`;
        this.uploads.set(uploadId, { key: id, parts: new Map(), keyMd5: sse.SSECustomerKeyMD5, tags: tagsOf(input.Tagging) });
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
        this.objects.set(id, { body, keyMd5: up.keyMd5, metadata: {}, tags: up.tags, versionId });
        return { ETag: '', VersionId: versionId };
      }
      case 'AbortMultipartUpload':
        this.uploads.delete(input.UploadId);
        return {};
      case 'HeadObject': {
        const obj = this.#open(input);
        return { ContentLength: obj.body.length, ETag: '"etag-from-head"', VersionId: obj.versionId, Metadata: obj.metadata,
          ...(obj.keyMd5 ? { SSECustomerAlgorithm: 'AES256', SSECustomerKeyMD5: obj.keyMd5 } : {}) };
      }
      case 'GetObject': {
        const obj = this.#open(input);
        const { Readable } = await import('node:stream');
        return { Body: Readable.from([obj.body]), ContentLength: obj.body.length, ETag: '"e"', VersionId: obj.versionId,
          Metadata: obj.metadata, ...(obj.keyMd5 ? { SSECustomerAlgorithm: 'AES256', SSECustomerKeyMD5: obj.keyMd5 } : {}) };
      }
      case 'PutObjectTagging': {
        const obj = this.objects.get(id);
        if (!obj) throw new S3Error('NoSuchKey', 404);
        obj.tags = Object.fromEntries(input.Tagging.TagSet.map((t: any) => [t.Key, t.Value]));
        return {};
      }
      case 'GetObjectTagging': {
        const obj = this.objects.get(id);
        if (!obj) throw new S3Error('NoSuchKey', 404);
        return { TagSet: Object.entries(obj.tags).map(([Key, Value]) => ({ Key, Value })) };
      }
      case 'DeleteObject':
        this.deleted.push(id);
        this.objects.delete(id);
        return {};
      case 'GetBucketEncryption':
        throw new S3Error('ServerSideEncryptionConfigurationNotFoundError', 404);
      default:
        throw new Error(`S3 twin: ${op} not implemented`);
    }
  }
}

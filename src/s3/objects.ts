import type { Readable } from 'node:stream';
import type { StorageClass } from '@aws-sdk/client-s3';

/**
 * The requests that move object data — GetObject, HeadObject, PutObject, UploadPart — behind one small interface,
 * answered in the AWS SDK's field names and error shapes. Two implementations: http.ts signs them itself and sends
 * them through the SDK's HTTP handler (no SDK client to load or build, which is most of a small transfer's start-up),
 * and sdkObjects() below sends them through the SDK client, for servers where the SDK's endpoint rules or checksum
 * options apply.
 */

export interface RequestOptions {
  abortSignal?: AbortSignal;
  /** false: one attempt, for requests the caller retries itself (withRetries). Default: sse3's retry policy. */
  retries?: boolean;
}

interface ObjectRef {
  Bucket: string;
  Key: string;
  VersionId?: string;
}

/** Request parameters the AWS SDK turns into the three SSE-C headers. */
export interface SseCParams {
  SSECustomerAlgorithm: 'AES256';
  SSECustomerKey: string;
  SSECustomerKeyMD5: string;
}

/** The same for the source of a server-side copy (x-amz-copy-source-server-side-encryption-customer-*). */
export interface CopySourceSseCParams {
  CopySourceSSECustomerAlgorithm: 'AES256';
  CopySourceSSECustomerKey: string;
  CopySourceSSECustomerKeyMD5: string;
}

export type SseCInput = Partial<SseCParams>;

export interface GetInput extends ObjectRef, SseCInput {
  Range?: string;
  IfMatch?: string;
}

export interface HeadInput extends ObjectRef, SseCInput {
  IfMatch?: string;
}

export interface PutInput extends SseCInput {
  Bucket: string;
  Key: string;
  Body: Buffer;
  ContentLength?: number;
  ContentType?: string;
  CacheControl?: string;
  ContentDisposition?: string;
  /** Type only: the SDK's name for a string (this module loads nothing of the SDK). */
  StorageClass?: StorageClass;
  Metadata?: Record<string, string>;
  /** x-amz-tagging: URL query encoding. */
  Tagging?: string;
  /** Write only over the object whose ETag this is (a conditional write; unquoted, as Ceph RGW compares it). */
  IfMatch?: string;
}

export interface UploadPartInput extends SseCInput {
  Bucket: string;
  Key: string;
  UploadId: string;
  PartNumber: number;
  Body: Buffer;
  ContentLength?: number;
}

/** What a HEAD (or the headers of a GET) say about an object, in the SDK's field names. */
export interface ObjectInfo {
  ContentLength?: number;
  ContentRange?: string;
  ContentType?: string;
  CacheControl?: string;
  ContentDisposition?: string;
  /** x-amz-storage-class: servers leave it out for STANDARD. */
  StorageClass?: string;
  ETag?: string;
  VersionId?: string;
  LastModified?: Date;
  Metadata?: Record<string, string>;
  SSECustomerAlgorithm?: string;
  SSECustomerKeyMD5?: string;
  ServerSideEncryption?: string;
}

export interface ObjectBody extends ObjectInfo {
  Body: Readable;
}

export interface WriteOutput {
  /**
   * The server's clock when it answered (its Date header, whole seconds): the version a write made was last modified
   * before the end of that second. Every answer through the SDK client carries it too (sdk-client.ts).
   */
  ServerDate?: Date;
  ETag?: string;
  VersionId?: string;
  SSECustomerAlgorithm?: string;
  SSECustomerKeyMD5?: string;
  ServerSideEncryption?: string;
}

export interface ObjectRequests {
  /**
   * 'lean': signed by sse3, sent through the SDK's HTTP handler; 'sdk': through the AWS SDK client; 'link': to one
   * presigned link (link-objects.ts), which can read nothing but the object (no tags).
   */
  readonly kind: 'lean' | 'sdk' | 'link';
  getObject(input: GetInput, opts?: RequestOptions): Promise<ObjectBody>;
  headObject(input: HeadInput, opts?: RequestOptions): Promise<ObjectInfo>;
  putObject(input: PutInput, opts?: RequestOptions): Promise<WriteOutput>;
  uploadPart(input: UploadPartInput, opts?: RequestOptions): Promise<WriteOutput>;
}

/** Anything with the SDK client's send(): the client itself, a lazily built one, or a test double. */
export interface SdkSender {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** The data-path requests through the SDK: `client` retries under sse3's policy, `single` makes one attempt. */
export function sdkObjects(client: SdkSender, single: SdkSender): ObjectRequests {
  const sdk = () => import('@aws-sdk/client-s3');
  const via = (opts: RequestOptions | undefined) => (opts?.retries === false ? single : client);
  const send = <T>(opts: RequestOptions | undefined, command: unknown) =>
    via(opts).send(command, { abortSignal: opts?.abortSignal }) as Promise<T>;
  return {
    kind: 'sdk',
    getObject: async (input, opts) => send<ObjectBody>(opts, new (await sdk()).GetObjectCommand(input)),
    headObject: async (input, opts) => send<ObjectInfo>(opts, new (await sdk()).HeadObjectCommand(input)),
    putObject: async (input, opts) => send<WriteOutput>(opts, new (await sdk()).PutObjectCommand(input)),
    uploadPart: async (input, opts) => send<WriteOutput>(opts, new (await sdk()).UploadPartCommand(input)),
  };
}

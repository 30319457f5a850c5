import { Sse3Error } from '../errors.js';
import type { S3ClientLike } from './client.js';
import { describeS3Error, s3ErrorName, statusOf } from './errors.js';

/**
 * A bucket's encryption configuration (GetBucketEncryption / PutBucketEncryption), in the SDK's own shape: a rule sets
 * the default encryption of new objects (ApplyServerSideEncryptionByDefault, BucketKeyEnabled) and, since April 2026 on
 * AWS, the encryption types writes may not use (BlockedEncryptionTypes: "SSE-C", or "NONE" for nothing blocked).
 * PutBucketEncryption replaces the whole configuration, so a change keeps every other part of each rule as it was.
 */
export interface EncryptionRule {
  ApplyServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string };
  BucketKeyEnabled?: boolean;
  BlockedEncryptionTypes?: { EncryptionType?: string[] };
}

/**
 * What the server said: 'rules' (possibly none: Ceph RGW answers 200 with an empty configuration), 'none' (404
 * ServerSideEncryptionConfigurationNotFoundError), or 'unsupported' (the server does not implement the request).
 */
export type BucketEncryption =
  | { kind: 'rules'; rules: EncryptionRule[] }
  | { kind: 'none' }
  | { kind: 'unsupported'; answer: string };

export const SSE_C = 'SSE-C';

/** Whether any rule blocks SSE-C writes. */
export function blocksSseC(rules: EncryptionRule[]): boolean {
  return rules.some((r) => r.BlockedEncryptionTypes?.EncryptionType?.some((t) => String(t) === SSE_C));
}

/**
 * The rules with SSE-C taken out of their blocked types, everything else kept exactly. A list left empty says "NONE",
 * as AWS documents for lifting the block (an empty list is not a value the API takes).
 */
export function rulesAllowingSseC(rules: EncryptionRule[]): EncryptionRule[] {
  return rules.map((rule) => {
    const types = rule.BlockedEncryptionTypes?.EncryptionType;
    if (!types?.includes(SSE_C)) return rule;
    const left = types.filter((t) => t !== SSE_C);
    return { ...rule, BlockedEncryptionTypes: { ...rule.BlockedEncryptionTypes, EncryptionType: left.length ? left : ['NONE'] } };
  });
}

/** Whether the server did not implement a request (501 NotImplemented; some servers answer 405 for an unknown one). */
function notImplemented(e: unknown): boolean {
  const name = s3ErrorName(e);
  return statusOf(e) === 501 || name === 'NotImplemented' || statusOf(e) === 405 || name === 'MethodNotAllowed';
}

/** A refusal of one of these requests, said with the permission it needs. */
function refusal(e: unknown, bucket: string, doing: 'reading' | 'changing', op: 'list' | 'put'): Sse3Error {
  if (statusOf(e) === 403 || s3ErrorName(e) === 'AccessDenied') {
    const permission = doing === 'reading' ? 's3:GetEncryptionConfiguration' : 's3:PutEncryptionConfiguration';
    return new Sse3Error('ACCESS_DENIED', `access denied: ${doing} the encryption configuration of bucket ${bucket} needs ${permission}`,
      `ask the bucket's owner for ${permission}, or use credentials that have it (--profile)`, { cause: e });
  }
  return describeS3Error(e, { op, url: `s3://${bucket}` });
}

/** The bucket's encryption configuration; a refusal or any other failure is thrown as an Sse3Error. */
export async function readBucketEncryption(client: S3ClientLike, bucket: string, signal?: AbortSignal): Promise<BucketEncryption> {
  const { GetBucketEncryptionCommand } = await import('@aws-sdk/client-s3');
  try {
    const answer = await client.send(new GetBucketEncryptionCommand({ Bucket: bucket }), { abortSignal: signal });
    return { kind: 'rules', rules: (answer.ServerSideEncryptionConfiguration?.Rules ?? []) as EncryptionRule[] };
  } catch (e) {
    if (s3ErrorName(e) === 'ServerSideEncryptionConfigurationNotFoundError') return { kind: 'none' };
    if (notImplemented(e)) return { kind: 'unsupported', answer: `HTTP ${statusOf(e) ?? '?'} ${s3ErrorName(e)}` };
    throw refusal(e, bucket, 'reading', 'list');
  }
}

/** Replace the bucket's encryption configuration with these rules (PutBucketEncryption). */
export async function writeBucketEncryption(client: S3ClientLike, bucket: string, rules: EncryptionRule[],
  signal?: AbortSignal): Promise<void> {
  const { PutBucketEncryptionCommand } = await import('@aws-sdk/client-s3');
  try {
    await client.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: rules as never } }),
      { abortSignal: signal });
  } catch (e) {
    if (notImplemented(e)) {
      throw new Sse3Error('S3', `the server does not implement PutBucketEncryption (it answered HTTP ${statusOf(e) ?? '?'} ` +
        `${s3ErrorName(e)}): the encryption configuration of bucket ${bucket} was not changed`, undefined, { cause: e });
    }
    throw refusal(e, bucket, 'changing', 'put');
  }
}

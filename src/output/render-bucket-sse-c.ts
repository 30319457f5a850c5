import type { BucketSseC } from '../core/objects/bucket-sse-c.js';
import type { EncryptionRule } from '../s3/bucket-encryption.js';
import type { Rendered } from './batch.js';
import type { Output } from './output.js';

// What sse3 bucket sse-c says: whether the bucket blocks SSE-C writes and the rules of its encryption configuration,
// and, with --allow, what changed.

/** What came of --allow: not asked for, nothing to change, not confirmed, or the configuration changed. */
export type AllowOutcome = 'not-asked' | 'nothing-to-change' | 'not-confirmed' | 'changed';

const ruleJson = (r: EncryptionRule) => ({
  sseAlgorithm: r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm ?? null,
  kmsKeyId: r.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID ?? null,
  bucketKeyEnabled: r.BucketKeyEnabled ?? null,
  blockedEncryptionTypes: r.BlockedEncryptionTypes?.EncryptionType ?? [],
});

function ruleLine(r: EncryptionRule, n: number): string {
  const d = r.ApplyServerSideEncryptionByDefault;
  const fallback = d?.SSEAlgorithm ? `${d.SSEAlgorithm}${d.KMSMasterKeyID ? ` (KMS key ${d.KMSMasterKeyID})` : ''}` : 'none';
  const blocked = r.BlockedEncryptionTypes?.EncryptionType?.join(', ') || 'none listed';
  return `  rule ${n}: default encryption ${fallback}` + (r.BucketKeyEnabled === undefined ? '' : `, bucket key ${r.BucketKeyEnabled ? 'on' : 'off'}`) +
    `; blocked encryption types: ${blocked}`;
}

function stateLine(r: BucketSseC): string {
  const url = `s3://${r.bucket}`;
  switch (r.state) {
    case 'blocked': return `bucket ${url} blocks SSE-C writes`;
    case 'allowed': return `bucket ${url} allows SSE-C writes`;
    case 'no-configuration': return `bucket ${url} allows SSE-C writes: it has no encryption configuration, so nothing is blocked`;
    case 'unsupported': return `the server does not implement GetBucketEncryption (it answered ${r.answer}): it has no SSE-C block ` +
      `to show or lift for ${url}`;
  }
}

const closing: Record<AllowOutcome, (r: BucketSseC) => string | undefined> = {
  'not-asked': (r) => (r.state === 'blocked' ? `  to allow them, keeping the default encryption: sse3 bucket sse-c s3://${r.bucket} --allow` : undefined),
  'nothing-to-change': () => '  nothing to change: no request was made',
  'not-confirmed': () => '  not confirmed: nothing was changed',
  changed: () => undefined,
};

/** The bucket's state (after the change, when `outcome` is 'changed'). */
export function renderBucketSseC(out: Output, r: BucketSseC, outcome: AllowOutcome): Rendered {
  const head = outcome === 'changed'
    ? `${out.c.green('✓')} bucket s3://${r.bucket} now allows SSE-C writes (SSE-C taken out of BlockedEncryptionTypes; the default encryption kept)`
    : stateLine(r);
  const last = closing[outcome](r);
  return {
    line: [head, ...r.rules.map((rule, i) => ruleLine(rule, i + 1)), ...(last ? [last] : [])],
    json: {
      ok: true, url: `s3://${r.bucket}`, bucket: r.bucket, state: r.state,
      blocked: r.state === 'unsupported' ? null : r.state === 'blocked',
      rules: r.rules.map(ruleJson),
      changed: outcome === 'changed',
      ...(outcome === 'not-confirmed' ? { confirmed: false } : {}),
      ...(r.answer ? { answer: r.answer } : {}),
    },
  };
}

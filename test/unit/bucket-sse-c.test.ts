// AWS's block on SSE-C writes (BlockedEncryptionTypes, since April 2026): what sse3 reads of a bucket's encryption
// configuration, how --allow rewrites it, and how every SSE-C write refused by it is said. The twin carries the
// configuration as XML through the SDK's own serializer and parser (test/support/twin-encryption.ts), so the shapes
// here are the API's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { PutBucketEncryptionCommand } from '@aws-sdk/client-s3';
import { allowSseC, bucketSseC } from '../../src/core/objects/bucket-sse-c.js';
import { type RotateContext, rotateObject } from '../../src/core/rotation/rotate.js';
import { uploadObject } from '../../src/core/transfer/upload.js';
import { Sse3Error } from '../../src/errors.js';
import { SseCKey } from '../../src/keys/key.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { blocksSseC, rulesAllowingSseC } from '../../src/s3/bucket-encryption.js';
import { S3Error, S3Twin, type TwinOptions } from '../support/s3-twin.js';

const MiB = 1024 * 1024;
const oldKey = new SseCKey(randomBytes(32), 'old');
const newKey = new SseCKey(randomBytes(32), 'new');

/** A new AWS bucket's configuration as GetBucketEncryption answers it (AWS's documented XML): SSE-S3, SSE-C blocked. */
const AWS_BLOCKED = '<?xml version="1.0" encoding="UTF-8"?>\n<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
  '<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>' +
  '<BucketKeyEnabled>false</BucketKeyEnabled><BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes>' +
  '</Rule></ServerSideEncryptionConfiguration>';
/** Ceph RGW's answer for a bucket it keeps no configuration of: 200, an empty configuration. */
const CEPH_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>';

function setup(opts: TwinOptions = {}) {
  const twin = new S3Twin(opts);
  const conn = twin.connection();
  const io = { conn, manifest: new ManifestStore(':memory:') };
  const put = (key: string, size = 10) => uploadObject({ io, target: { bucket: 'b', key, sseKey: oldKey },
    source: { kind: 'stream', body: Readable.from([randomBytes(size)]) }, tuning: { partSize: 5 * MiB } });
  return { twin, io, put };
}

const blockedHint = (e: unknown) => e instanceof Sse3Error && e.code === 'SSEC_BLOCKED' && /bucket b blocks SSE-C writes/.test(e.message)
  && e.hint === 'the bucket\'s owner can allow them, keeping its default encryption: sse3 bucket sse-c s3://b --allow';

test('a blocked bucket as AWS answers it: read, allowed with --allow keeping its default rule, then SSE-C writes go through', async () => {
  const { twin, io, put } = setup({ bucketEncryption: AWS_BLOCKED });
  for (const size of [10, 6 * MiB]) await assert.rejects(put('k', size), blockedHint, `a refused ${size}-byte put names the command`);

  const found = await bucketSseC(io, 'b');
  assert.equal(found.state, 'blocked');
  assert.deepEqual(found.rules, [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false,
    BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }]);

  const now = await allowSseC(io, found);
  assert.equal(now.state, 'allowed');
  // What went over the wire: the same rule, with NONE in place of SSE-C (AWS's documented way to lift the block).
  assert.deepEqual(twin.encryption.putBodies, ['<?xml version="1.0" encoding="UTF-8"?><ServerSideEncryptionConfiguration ' +
    'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>' +
    '</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled><BlockedEncryptionTypes><EncryptionType>NONE' +
    '</EncryptionType></BlockedEncryptionTypes></Rule></ServerSideEncryptionConfiguration>']);
  assert.deepEqual(twin.requests.filter((q) => q.op.endsWith('BucketEncryption')).map((q) => q.op),
    ['GetBucketEncryption', 'GetBucketEncryption', 'GetBucketEncryption', 'PutBucketEncryption', 'GetBucketEncryption'],
    'one read per refused put, the read, the write, the read back');
  assert.equal((await put('k')).fingerprint, oldKey.fingerprint);
});

test('--allow keeps a KMS default rule and its bucket key exactly, and every other blocked type', () => {
  const kms = { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'arn:aws:kms:eu-west-1:1:key/k' },
    BucketKeyEnabled: true, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } };
  const other = { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } };
  const future = { BlockedEncryptionTypes: { EncryptionType: ['SSE-X', 'SSE-C'] } };
  assert.deepEqual(rulesAllowingSseC([kms, other, future]), [
    { ...kms, BlockedEncryptionTypes: { EncryptionType: ['NONE'] } }, other, { BlockedEncryptionTypes: { EncryptionType: ['SSE-X'] } }]);
  assert.equal(rulesAllowingSseC([other])[0], other, 'a rule that blocks nothing is sent back as it came');
  assert.equal(blocksSseC([kms]), true);
  assert.equal(blocksSseC(rulesAllowingSseC([kms, future])), false);
  assert.equal(blocksSseC([{ BlockedEncryptionTypes: { EncryptionType: ['NONE'] } }, other]), false);
});

test('nothing blocked: no configuration (AWS 404, Ceph\'s empty one), rules without SSE-C blocked; a server without the request', async () => {
  assert.deepEqual(await bucketSseC(setup().io, 'b'), { bucket: 'b', state: 'no-configuration', rules: [] });
  assert.deepEqual(await bucketSseC(setup({ bucketEncryption: CEPH_EMPTY }).io, 'b'), { bucket: 'b', state: 'no-configuration', rules: [] });
  const plain = await bucketSseC(setup({ bucketEncryption: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } }).io, 'b');
  assert.equal(plain.state, 'allowed');
  for (const [name, status] of [['NotImplemented', 501], ['MethodNotAllowed', 405]] as const) {
    const { io } = setup({ errorFor: (op) => (op === 'GetBucketEncryption' ? new S3Error(name, status) : undefined) });
    assert.deepEqual(await bucketSseC(io, 'b'), { bucket: 'b', state: 'unsupported', rules: [], answer: `HTTP ${status} ${name}` });
  }
  await assert.rejects(allowSseC(setup().io, { bucket: 'b', state: 'allowed', rules: [] }), /not blocked/, 'never a write when nothing is blocked');
});

test('access refused: one line naming the permission needed, for the read and for the change (left as it was)', async () => {
  const denied = (which: string) => (op: string) => (op === which ? new S3Error('AccessDenied', 403) : undefined);
  const reading = setup({ bucketEncryption: AWS_BLOCKED, errorFor: denied('GetBucketEncryption') });
  await assert.rejects(bucketSseC(reading.io, 'b'), (e: Sse3Error) => e.code === 'ACCESS_DENIED'
    && e.message === 'access denied: reading the encryption configuration of bucket b needs s3:GetEncryptionConfiguration');
  const changing = setup({ bucketEncryption: AWS_BLOCKED, errorFor: denied('PutBucketEncryption') });
  const found = await bucketSseC(changing.io, 'b');
  await assert.rejects(allowSseC(changing.io, found), (e: Sse3Error) => e.code === 'ACCESS_DENIED'
    && e.message === 'access denied: changing the encryption configuration of bucket b needs s3:PutEncryptionConfiguration');
  assert.equal((await bucketSseC(changing.io, 'b')).state, 'blocked');
  const missing = setup({ errorFor: (op) => (op === 'GetBucketEncryption' ? new S3Error('NoSuchBucket', 404) : undefined) });
  await assert.rejects(bucketSseC(missing.io, 'b'), (e: Sse3Error) => e.code === 'NO_BUCKET');
});

test('a rotation refused by the block (a server-side copy, as on AWS) names the block and its command, never a wrong key', async () => {
  const { twin, io, put } = setup({ versioned: true, serverSideCopy: 'supported' });
  await put('doc');
  await twin.send(new PutBucketEncryptionCommand({ Bucket: 'b', ServerSideEncryptionConfiguration: { Rules: [
    { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }] } }));
  const ctx: RotateContext = { io, tuning: { partSize: MiB }, findKey: async (fp) => [oldKey, newKey].find((k) => k.fingerprint === fp) };
  await assert.rejects(rotateObject(ctx, 'b', 'doc', oldKey, newKey), blockedHint);
  assert.ok(twin.requests.some((q) => q.op === 'CopyObject'), 'the refusal came from the server-side copy');
  assert.equal(twin.objects.get('b/doc')!.keyMd5, oldKey.keyMd5, 'the object keeps its key');
});

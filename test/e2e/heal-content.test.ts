// A record healed from an object's tag follows a re-key, never a change of content: a co-writer holding a shared key
// who uploads other content under sse3's tags does not get it taken for the recorded object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorAnswer, keyMd5Of } from '../support/hostile-s3.js';
import { adminClient, makeKeyFile, manifestRows, newBucket, newHome, putData, run } from './harness.js';
import { assertRefused, hostileSetup } from './hostile.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Two homes with the same keys in their key folders, removed when the test ends. */
async function sharedKeys(t: { after: (fn: () => void) => void }, names: string[]) {
  const a = newHome();
  const b = newHome();
  t.after(() => { for (const h of [a, b]) rmSync(h.dir, { recursive: true, force: true }); });
  mkdirSync(b.keyDir, { recursive: true });
  const keys: Record<string, Awaited<ReturnType<typeof makeKeyFile>>> = {};
  for (const n of names) {
    keys[n] = await makeKeyFile(a, `${n}.key`);
    copyFileSync(keys[n].path, join(b.keyDir, `${n}.key`));
  }
  return { a, b, keys };
}

test('other content uploaded under a shared key with sse3\'s tags is an integrity failure, never a healed record (exit 4)', async (t) => {
  const { a, b, keys: { k1, k2 } } = await sharedKeys(t, ['k1', 'k2']);
  const bucket = await newBucket('heal');
  const url = `s3://${bucket}/report.pdf`;
  const original = randomBytes(4000);
  const replacements = [
    { what: 'another size', data: randomBytes(5000), forgeTag: false },
    { what: 'the same size, its own SHA-256 in the tag', data: randomBytes(4000), forgeTag: false },
    { what: 'the same size, the recorded SHA-256 copied into the tag', data: randomBytes(4000), forgeTag: true },
  ];
  for (const r of replacements) {
    await putData(a, url, original, k1.ref);
    const recorded = await manifestRows(a);
    assert.equal(recorded[0].sha256, sha256(original));
    // B re-uploads other content with sse3 under the other shared key: the tag names k2, as a re-key would.
    await putData(b, url, r.data, k2.ref);
    if (r.forgeTag) {
      const s3 = await import('@aws-sdk/client-s3');
      await (await adminClient()).send(new s3.PutObjectTaggingCommand({ Bucket: bucket, Key: 'report.pdf', Tagging: { TagSet: [
        { Key: 'sse3-fp', Value: k2.fingerprint }, { Key: 'sse3-sha256', Value: sha256(original) }] } }));
    }
    const out = join(a.dir, 'work', 'report.pdf');
    const got = await run(['get', url, out], { home: a });
    assertRefused(got, { code: 4, url, message: r.forgeTag ? /SHA-256 of the decrypted data does not match/ : /holds other content than recorded here/ });
    assert.doesNotMatch(got.stderr, /record updated/, `${r.what}: no record updated`);
    if (!r.forgeTag) assert.match(got.stderr, new RegExp(`hint: .*sse3 manifest pull s3://${bucket}/$`, 'm'), 'says how to adopt it deliberately');
    assert.equal(existsSync(out), false, `${r.what}: no file written`);
    assert.deepEqual(await manifestRows(a), recorded, `${r.what}: the record was kept as it was`);

    const head = await run(['head', url], { home: a });
    assert.equal(head.code, r.forgeTag ? 0 : 4, `${r.what}: head exits ${head.code}: ${head.stderr}`);
    const verify = await run(['verify', url.replace('report.pdf', ''), '--deep', '--json'], { home: a });
    assert.equal(verify.code, 4, `${r.what}: verify --deep exits 4: ${verify.stderr}`);
    assert.equal(verify.items()[0].status, 'corrupt');
    if (!r.forgeTag) assert.deepEqual(await manifestRows(a), recorded, `${r.what}: head and verify kept the record too`);
  }
});

test('a heal checks the key echo of its HEAD: an answer under another key, or none, heals nothing (exit 4)', async (t) => {
  const { s3, home, key: k1, dest, sse3, put, rows: recordedRows } = await hostileSetup(t);
  const k2 = await makeKeyFile(home, 'k2.key');
  const data = randomBytes(300);
  await put('obj', data);
  const recorded = await recordedRows();
  for (const echo of ['another key', 'no SSE-C']) {
    s3.script = (req, honest) => {
      if (req.key !== 'obj') return undefined;
      const sent = req.headers['x-amz-server-side-encryption-customer-key-md5'];
      // The recorded key no longer opens it, and the tag names k2 with the recorded SHA-256: a re-key, it seems.
      if (sent === keyMd5Of(k1.raw)) return errorAnswer(400, 'InvalidArgument', 'The calculated MD5 hash of the key did not match');
      if (req.query.has('tagging')) {
        const h = honest();
        return { ...h, body: Buffer.from(h.body.toString().replace(k1.fingerprint, k2.fingerprint)) };
      }
      if (req.method !== 'HEAD' || sent !== keyMd5Of(k2.raw)) return undefined;
      // A HEAD with k2 answered 200 — echoing k1's MD5 (the object's), or no SSE-C at all.
      const headers = s3.versionHeaders(s3.latest('bkt', 'obj')!);
      if (echo === 'no SSE-C') {
        delete headers['x-amz-server-side-encryption-customer-algorithm'];
        delete headers['x-amz-server-side-encryption-customer-key-md5'];
      }
      return { status: 200, headers: { ...headers, 'content-length': String(data.length) }, body: Buffer.alloc(0) };
    };
    const got = await sse3(['get', 's3://bkt/obj', join(dest, 'obj')]);
    assertRefused(got, { code: 4, url: 's3://bkt/obj', dest });
    assert.doesNotMatch(got.stderr, /record updated/, echo);
    assert.deepEqual(await recordedRows(), recorded, `the record was kept (${echo})`);
  }
});

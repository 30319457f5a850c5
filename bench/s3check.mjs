// S3 chores of the benchmark that must not depend on the tools under test:
//
//   node bench/s3check.mjs verify BUCKET PREFIX KEYFILE COUNT [SIZE]
//       every object under PREFIX (exactly COUNT of them, each SIZE bytes if given)
//       must be unreadable without a key and report SSE-C AES256 with the MD5 of
//       KEYFILE's key: a peer that silently stored plaintext, or used another key,
//       fails the run instead of producing a flattering number.
//   node bench/s3check.mjs rm BUCKET PREFIX
//       deletes every object under PREFIX (batched), so the memstore never fills.
//   node bench/s3check.mjs state BUCKET PREFIX
//       prints {"count":N,"digest":"…"} over every object's key, ETag and LastModified: two equal digests
//       mean no object under PREFIX was written in between.
//   node bench/s3check.mjs compare BUCKET PREFIX KEYFILE LOCALDIR LISTFILE
//       GETs (with the key) every object PREFIX+PATH for each relative PATH listed in LISTFILE and compares
//       its bytes with LOCALDIR/PATH.
//
// verify takes SIZE "-" to skip the size check, and an optional SAMPLE: HEAD only that many objects
// (spread over the listing) while still counting all of them.
//
// Endpoint and credentials come from the environment written by scripts/rgw.sh;
// the CA is trusted through NODE_EXTRA_CA_CERTS.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const s3 = await import('@aws-sdk/client-s3');

const client = new s3.S3Client({
  region: process.env.AWS_REGION ?? 'us-east-1',
  endpoint: process.env.AWS_ENDPOINT_URL,
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

async function listAll(bucket, prefix) {
  const out = [];
  let token;
  do {
    const r = await client.send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) out.push({ key: o.Key, size: o.Size });
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function pool(items, limit, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  });
  await Promise.all(workers);
}

const status = (e) => e?.$metadata?.httpStatusCode;

function ssecOf(keyFile) {
  const key = readFileSync(keyFile);
  if (key.length !== 32) throw new Error(`${keyFile} is not a raw 32-byte key`);
  const keyMd5 = createHash('md5').update(key).digest('base64');
  return { keyMd5, ssec: { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64'), SSECustomerKeyMD5: keyMd5 } };
}

async function verify(bucket, prefix, keyFile, count, size, sample) {
  const { keyMd5, ssec } = ssecOf(keyFile);
  const objects = await listAll(bucket, prefix);
  const problems = [];
  if (objects.length !== count) problems.push(`expected ${count} objects under s3://${bucket}/${prefix}, found ${objects.length}`);
  const step = sample && objects.length > sample ? objects.length / sample : 1;
  const checked = step === 1 ? objects : Array.from({ length: sample }, (_, i) => objects[Math.floor(i * step)]);
  await pool(checked, 16, async ({ key: k, size: listed }) => {
    const where = `s3://${bucket}/${k}`;
    if (size !== undefined && !Number.isNaN(size) && listed !== size) problems.push(`${where}: ${listed} bytes, expected ${size}`);
    try {
      await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: k }));
      problems.push(`${where}: readable without a key (stored as plaintext?)`);
    } catch (e) {
      if (status(e) !== 400 && status(e) !== 403) problems.push(`${where}: HEAD without key gave ${status(e) ?? e}`);
    }
    try {
      const h = await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: k, ...ssec }));
      if (h.SSECustomerAlgorithm !== 'AES256') problems.push(`${where}: server reports no SSE-C algorithm`);
      else if (h.SSECustomerKeyMD5 !== keyMd5) problems.push(`${where}: encrypted with another key (MD5 ${h.SSECustomerKeyMD5})`);
    } catch (e) {
      problems.push(`${where}: HEAD with the key failed (${status(e) ?? e})`);
    }
  });
  if (problems.length) {
    for (const p of problems.slice(0, 20)) console.error(`verify: ${p}`);
    if (problems.length > 20) console.error(`verify: ... and ${problems.length - 20} more`);
    return 1;
  }
  return 0;
}

async function state(bucket, prefix) {
  const s3objects = [];
  let token;
  do {
    const r = await client.send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) s3objects.push(`${o.Key}\0${o.ETag}\0${o.LastModified?.toISOString()}`);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  console.log(JSON.stringify({ count: s3objects.length, digest: createHash('sha256').update(s3objects.join('\n')).digest('hex') }));
  return 0;
}

async function compare(bucket, prefix, keyFile, localDir, listFile) {
  const { ssec } = ssecOf(keyFile);
  const paths = readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
  const problems = [];
  await pool(paths, 8, async (rel) => {
    try {
      const r = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: prefix + rel, ...ssec }));
      const got = createHash('sha256').update(Buffer.from(await r.Body.transformToByteArray())).digest('hex');
      const want = createHash('sha256').update(readFileSync(`${localDir}/${rel}`)).digest('hex');
      if (got !== want) problems.push(`s3://${bucket}/${prefix}${rel}: content differs from ${localDir}/${rel}`);
    } catch (e) {
      problems.push(`s3://${bucket}/${prefix}${rel}: GET failed (${status(e) ?? e})`);
    }
  });
  for (const p of problems.slice(0, 20)) console.error(`compare: ${p}`);
  return problems.length ? 1 : 0;
}

async function rm(bucket, prefix) {
  const objects = await listAll(bucket, prefix);
  for (let i = 0; i < objects.length; i += 1000) {
    const batch = objects.slice(i, i + 1000);
    const r = await client.send(new s3.DeleteObjectsCommand({
      Bucket: bucket, Delete: { Objects: batch.map((o) => ({ Key: o.key })), Quiet: true },
    }));
    if (r.Errors?.length) throw new Error(`delete failed: ${r.Errors[0].Key}: ${r.Errors[0].Code}`);
  }
  return 0;
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'verify' && args.length >= 4) {
    process.exitCode = await verify(args[0], args[1], args[2], Number(args[3]), args[4] === undefined ? undefined : Number(args[4]),
      args[5] === undefined ? undefined : Number(args[5]));
  } else if (cmd === 'state' && args.length === 2) {
    process.exitCode = await state(args[0], args[1]);
  } else if (cmd === 'compare' && args.length === 5) {
    process.exitCode = await compare(args[0], args[1], args[2], args[3], args[4]);
  } else if (cmd === 'rm' && args.length === 2) {
    process.exitCode = await rm(args[0], args[1]);
  } else {
    console.error('usage: s3check.mjs verify BUCKET PREFIX KEYFILE COUNT [SIZE|-] [SAMPLE] | rm BUCKET PREFIX | state BUCKET PREFIX |' +
      ' compare BUCKET PREFIX KEYFILE LOCALDIR LISTFILE');
    process.exitCode = 2;
  }
} catch (e) {
  console.error(`s3check ${cmd}: ${e?.name ?? ''} ${e?.message ?? e}`);
  process.exitCode = 1;
}

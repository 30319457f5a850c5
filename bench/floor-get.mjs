// The floor under a 1 KiB SSE-C get from a Node.js process: one SigV4-signed GET with the three SSE-C headers, the
// body written to a file, and nothing else (no CLI, no manifest, no checks, no SDK). Whatever sse3 does on top of
// this is its own cost; what this takes is the runtime's (start, TLS, one request), which no Node.js tool can go under.
//
//   node bench/floor-get.mjs ENDPOINT BUCKET KEY KEYFILE CA OUT     (credentials and region from AWS_* variables)
import { createHash, createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';

const [endpoint, bucket, key, keyFile, caFile, out] = process.argv.slice(2);
if (!out) {
  process.stderr.write('usage: node bench/floor-get.mjs ENDPOINT BUCKET KEY KEYFILE CA OUT\n');
  process.exit(2);
}
const { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret, AWS_REGION: region = 'us-east-1' } = process.env;
const rawKey = readFileSync(keyFile);
const url = new URL(endpoint);
const path = `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
const day = amzDate.slice(0, 8);
const sha256 = (x) => createHash('sha256').update(x).digest('hex');
const hmac = (k, x) => createHmac('sha256', k).update(x).digest();

const headers = {
  host: url.host,
  'x-amz-content-sha256': sha256(''),
  'x-amz-date': amzDate,
  'x-amz-server-side-encryption-customer-algorithm': 'AES256',
  'x-amz-server-side-encryption-customer-key': rawKey.toString('base64'),
  'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update(rawKey).digest('base64'),
};
const names = Object.keys(headers).sort();
const canonical = ['GET', path, '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), headers['x-amz-content-sha256']].join('\n');
const scope = `${day}/${region}/s3/aws4_request`;
const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
const signingKey = ['s3', 'aws4_request'].reduce(hmac, hmac(hmac(`AWS4${secret}`, day), region));
headers.authorization = `AWS4-HMAC-SHA256 Credential=${id}/${scope}, SignedHeaders=${names.join(';')}, ` +
  `Signature=${createHmac('sha256', signingKey).update(toSign).digest('hex')}`;

request({ host: url.hostname, port: url.port || 443, path, method: 'GET', headers, ca: readFileSync(caFile) }, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => {
    if (res.statusCode !== 200) {
      process.stderr.write(`floor-get: HTTP ${res.statusCode}\n`);
      process.exit(1);
    }
    writeFileSync(out, Buffer.concat(chunks));
  });
}).on('error', (e) => {
  process.stderr.write(`floor-get: ${e.message}\n`);
  process.exit(1);
}).end();

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareUtf8, strictlyAscending } from '../../src/core/sync/keyorder.js';
import { Sse3Error } from '../../src/errors.js';

const bytewise = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

test('compareUtf8 orders like S3 (UTF-8 bytes), also where JavaScript\'s own order differs', () => {
  // Above U+FFFF JavaScript compares surrogates, which sort before U+E000–U+FFFF; S3 puts those characters last.
  assert.ok('\u{1F600}' < '\uFFFD', 'JavaScript order');
  assert.ok(compareUtf8('\u{1F600}', '\uFFFD') > 0);
  assert.ok(compareUtf8('a/\u{10000}', 'a/\uE000') > 0);
  assert.ok(compareUtf8('\u{1F600}', '\u{1F601}') < 0);
  assert.ok(compareUtf8('a/b', 'a-b') > 0, "'/' (0x2F) sorts after '-' (0x2D)");
  assert.equal(compareUtf8('same', 'same'), 0);
  assert.ok(compareUtf8('pre', 'prefix') < 0);

  const alphabet = ['a', 'b', '/', '-', '.', '0', ' ', 'é', '\u07FF', '\u0800', '\uD7FF', '\uE000', '\uFFFD', '\uFFFF',
    '\u{10000}', '\u{1F600}', '\u{10FFFF}'];
  let seed = 7;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const word = () => Array.from({ length: 1 + rand(5) }, () => alphabet[rand(alphabet.length)]).join('');
  for (let i = 0; i < 20_000; i++) {
    const a = word();
    const b = rand(4) === 0 ? a + word() : word();
    assert.equal(Math.sign(compareUtf8(a, b)), bytewise(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
});

test('strictlyAscending passes a sorted stream and stops at a name out of order or repeated', async () => {
  const collect = async (names: string[]) => {
    const out: string[] = [];
    for await (const n of strictlyAscending((async function* () { yield* names; })(), (x) => x, 'the listing')) out.push(n);
    return out;
  };
  assert.deepEqual(await collect(['a', 'a-b', 'a/b', '\uFFFD', '\u{1F600}']), ['a', 'a-b', 'a/b', '\uFFFD', '\u{1F600}']);
  await assert.rejects(collect(['a', 'c', 'b']), (e: Sse3Error) => e.code === 'S3' && /not in S3 key order.*"c".*"b"/.test(e.message));
  await assert.rejects(collect(['a', 'a']), /not in S3 key order/);
  // JavaScript's order is not S3's: a stream sorted by JS comparison is refused.
  await assert.rejects(collect(['\u{1F600}', '\uFFFD']), /not in S3 key order/);
});

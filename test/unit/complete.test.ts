import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bashCandidate, shellWords } from '../../src/completion/complete.js';

test('shellWords reads a line as the shell does: backslashes, quotes, the word in progress', () => {
  assert.deepEqual(shellWords('sse3 get s3://b/my\\ fi'), { words: ['sse3', 'get'], current: 's3://b/my fi', raw: 's3://b/my\\ fi' });
  assert.deepEqual(shellWords("sse3 get 's3://b/it''s' "), { words: ['sse3', 'get', 's3://b/its'], current: '', raw: '' });
  assert.deepEqual(shellWords('sse3 get "a \\"b\\" \\x'), { words: ['sse3', 'get'], current: 'a "b" \\x', raw: '"a \\"b\\" \\x',
    open: { quote: '"', at: 0, before: '' } });
  assert.deepEqual(shellWords("sse3 put --key file:'my k"), { words: ['sse3', 'put', '--key'], current: 'file:my k',
    raw: "file:'my k", open: { quote: "'", at: 5, before: 'file:' } });
  assert.deepEqual(shellWords(''), { words: [], current: '', raw: '' });
});

test('bashCandidate: escaped as the word was typed, without what bash already split off at ":"', () => {
  const finished = (line: string, cur: string, c: string) => bashCandidate(c, shellWords(line), cur, true);
  assert.equal(finished('sse3 get s3://b/my\\ f', '//b/my\\ f', 's3://b/my file.txt'), '//b/my\\ file.txt ');
  assert.equal(finished('sse3 get s3://b/it', '//b/it', "s3://b/it's (1) $x.txt"), "//b/it\\'s\\ \\(1\\)\\ \\$x.txt ");
  assert.equal(finished("sse3 get 's3://b/my f", "'s3://b/my f", "s3://b/it's"), "'s3://b/it'\\''s");
  assert.equal(finished('sse3 get "s3://b/my f', '"s3://b/my f', 's3://b/a"$b'), '"s3://b/a\\"\\$b');
  assert.equal(finished("sse3 put --key file:'my k", "'my k", 'file:my key'), "'my key");
  assert.equal(finished('sse3 put ~/my\\ f', '~/my\\ f', '~/my file'), '~/my\\ file ', 'a leading ~ keeps meaning home');
  assert.equal(bashCandidate('s3://b/dir/', shellWords('sse3 get s3://b/d'), '//b/d', false), '//b/dir/');
  assert.equal(finished('sse3 get s3://b/d', undefined as unknown as string, 's3://b/d e'), 's3://b/d\\ e ', 'an older script gives no CUR');
});

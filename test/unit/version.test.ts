// Version ids as sse3 keeps them: the one place that decides what S3's "null" version becomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NULL_VERSION_ID, recordedVersionId, s3VersionId, versionIdOf } from '../../src/s3/version.js';

test('a version id a server sent is kept as is, S3\'s "null" included (one version, not the current one); none is \'\'', () => {
  assert.equal(versionIdOf('3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY'), '3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY');
  assert.equal(versionIdOf(undefined), '');
  assert.equal(versionIdOf(null), '');
  assert.equal(versionIdOf(''), '');
  assert.equal(versionIdOf(NULL_VERSION_ID), 'null');
  // Only the exact word: a version id that merely contains it is a version id.
  assert.equal(versionIdOf('nullish'), 'nullish');
  assert.equal(versionIdOf('NULL'), 'NULL');
});

test('a kept version id reads as S3 names it: \'\' is "null"', () => {
  assert.equal(s3VersionId(''), 'null');
  assert.equal(s3VersionId('v1'), 'v1');
  for (const sent of [undefined, 'null', 'abc']) assert.equal(s3VersionId(versionIdOf(sent)), sent ?? 'null');
});

test('a manifest row names a version: a write answered without a version id wrote the one S3 calls "null"', () => {
  assert.equal(recordedVersionId(''), 'null');
  assert.equal(recordedVersionId(undefined), 'null');
  assert.equal(recordedVersionId('null'), 'null');
  assert.equal(recordedVersionId('v1'), 'v1');
});

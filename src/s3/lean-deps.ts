/**
 * The library pieces every command that talks to S3 needs before it knows whether the SDK client is wanted: the
 * shared config file reader and the SigV4 signer. scripts/bundle.mjs builds this module on its own (tree-shaken,
 * ~43 KB), so loading them does not pull in the SDK's shared chunks (~250 KB) as well.
 */
export { loadSharedConfigFiles } from '@smithy/core/config';
export { SignatureV4 } from '@smithy/signature-v4';

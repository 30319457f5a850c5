/**
 * The library pieces every command that talks to S3 needs before it knows whether the SDK client is wanted: the
 * shared config file reader, the SigV4 signer, and the SDK's own Node HTTP handler (connect and socket timeouts,
 * aborts) that sse3's signed requests are sent through. scripts/bundle.mjs builds this module on its own (tree-shaken,
 * ~60 KB), so loading them does not pull in the SDK's shared chunks (~250 KB) as well.
 */
export { loadSharedConfigFiles } from '@smithy/core/config';
export { SignatureV4 } from '@smithy/signature-v4';
export { NodeHttpHandler } from '@smithy/node-http-handler';

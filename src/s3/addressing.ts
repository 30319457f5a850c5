import { isIP } from 'node:net';
import { Sse3Error } from '../errors.js';
import { shown } from '../keys/likeness.js';

/**
 * How a bucket is named in a request, as the AWS config file's `s3 = addressing_style` says: `path`
 * (https://HOST/BUCKET/KEY), `virtual` (https://BUCKET.HOST/KEY) or `auto` (the SDK's choice). Without the setting,
 * sse3 uses path-style with an endpoint given by URL (Ceph RGW and MinIO serve it without DNS set up for each
 * bucket) and leaves the choice to the SDK on AWS itself.
 */
export type AddressingStyle = 'path' | 'virtual' | 'auto';

/** The profile's addressing_style; anything other than path, virtual or auto is refused in words. */
export function addressingStyleOf(profile: Record<string, string | undefined>, profileName: string): AddressingStyle | undefined {
  const value = profile['s3.addressing_style'];
  if (value === undefined || value === '') return undefined;
  if (value === 'path' || value === 'virtual' || value === 'auto') return value;
  throw new Sse3Error('USAGE', `s3 addressing_style of profile ${shown(profileName)} is ${shown(value)}; it must be path, virtual or auto`,
    'fix it in the AWS config file (aws configure set s3.addressing_style path)');
}

/** A bucket name that can be a host-name label under TLS: lower case, digits and hyphens, no dots (as the SDK decides). */
const HOSTABLE_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * Is the bucket named in the host (virtual-hosted style)? As the SDK decides with forcePathStyle off (virtual and auto
 * alike): when the endpoint is a host name, not an IP address, and the bucket name can be a host-name label;
 * otherwise path-style. Path-style when the style is path or not set (an endpoint given by URL).
 */
export function isVirtualHosted(endpoint: URL, bucket: string, style: AddressingStyle | undefined): boolean {
  if (style === undefined || style === 'path') return false;
  return isIP(endpoint.hostname.replace(/^\[(.*)\]$/, '$1')) === 0 && HOSTABLE_BUCKET.test(bucket);
}

import { Sse3Error } from '../errors.js';
import { shown } from '../keys/likeness.js';

/**
 * A region name as the AWS SDKs take one: a DNS label (letters, digits and hyphens, 1 to 63, no hyphen at either end),
 * since it becomes part of a host name and of every request's signature. Anything else is refused before a request,
 * instead of a signature the server rejects or a host that does not exist.
 */
const REGION = /^(?!-)(?!.*-$)[A-Za-z0-9-]{1,63}$/;

export const isRegionName = (region: string): boolean => REGION.test(region);

/** The region, or a usage error naming where it came from (--region, AWS_REGION, a profile). */
export function checkedRegion(region: string, from: string): string {
  if (!isRegionName(region)) {
    throw new Sse3Error('USAGE', `${from} ${shown(region)} is not a region name: letters, digits and hyphens, 1 to 63 of them, ` +
      'not starting or ending with a hyphen', 'give a region such as us-east-1 (for Ceph RGW or MinIO, the zonegroup or region it is set to)');
  }
  return region;
}

/**
 * The region requests are signed for: --region, else AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else
 * us-east-1 — the first one set, checked. An empty environment variable counts as not set.
 */
export function resolveRegion(option: string | undefined, env: NodeJS.ProcessEnv, profileName: string,
  profile: Record<string, string | undefined>): string {
  const sources: Array<[string | undefined, string]> = [[option, '--region'], [env.AWS_REGION || undefined, 'AWS_REGION'],
    [env.AWS_DEFAULT_REGION || undefined, 'AWS_DEFAULT_REGION'], [profile.region, `the region of profile ${profileName}`]];
  for (const [value, from] of sources) if (value !== undefined) return checkedRegion(value, from);
  return 'us-east-1';
}

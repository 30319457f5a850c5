import ignore from 'ignore';
import { Sse3Error } from '../../errors.js';

/** One --exclude or --include, in command-line order. */
export type FilterRule = { exclude: string } | { include: string };

/**
 * --exclude/--include as gitignore patterns over the path relative to the synced folder or prefix: an --include is a
 * negated pattern ("!GLOB"), and the last pattern that matches a path decides, as in a .gitignore. As there, a file
 * under an excluded folder cannot be included again (so an excluded folder is never even read). Folders are asked with
 * a trailing '/'. Returns undefined when there is nothing to filter.
 */
export function pathFilter(rules: FilterRule[]): ((rel: string) => boolean) | undefined {
  if (rules.length === 0) return undefined;
  const patterns = rules.map((r) => {
    const glob = 'exclude' in r ? r.exclude : r.include;
    if (glob.trim() === '') throw new Sse3Error('USAGE', 'an --exclude or --include pattern is empty', 'e.g. --exclude "*.tmp"');
    // A leading '!' or '#' is part of the name here, not gitignore syntax.
    const literal = /^[!#]/.test(glob) ? `\\${glob}` : glob;
    return 'exclude' in r ? literal : `!${literal}`;
  });
  // S3 keys are case-sensitive, and so are the patterns.
  const ig = ignore({ ignorecase: false }).add(patterns);
  return (rel) => !ig.ignores(rel);
}

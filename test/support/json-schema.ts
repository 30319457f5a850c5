import { readFileSync } from 'node:fs';

/**
 * A checker of the JSON Schema subset schema/sse3-output.schema.json uses (draft 2020-12 keywords: $ref to #/$defs,
 * type, properties, required, additionalProperties, items, enum, const, anyOf, allOf, not, minLength, pattern,
 * minimum). A keyword it does not know is an error, never ignored: the schema cannot say more than is checked.
 */
export type Schema = boolean | { [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$defs']);
const KEYWORDS = new Set(['$ref', 'type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'anyOf', 'allOf',
  'not', 'minLength', 'pattern', 'minimum']);

export const SCHEMA_FILE = new URL('../../../schema/sse3-output.schema.json', import.meta.url).pathname;

export function loadSchema(file = SCHEMA_FILE): Schema {
  return JSON.parse(readFileSync(file, 'utf8')) as Schema;
}

const typeOf = (v: unknown): string => v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;

function hasType(v: unknown, type: string): boolean {
  if (type === 'integer') return Number.isInteger(v);
  return typeOf(v) === type;
}

/** Where value breaks the schema: one message per violation, each with its JSON path; [] when it conforms. */
export function violations(root: Schema, value: unknown): string[] {
  const defs = (typeof root === 'object' ? root.$defs : undefined) as Record<string, Schema> | undefined;
  const check = (schema: Schema, v: unknown, at: string): string[] => {
    if (schema === true) return [];
    if (schema === false) return [`${at}: not allowed here`];
    const errors: string[] = [];
    for (const [keyword, arg] of Object.entries(schema)) {
      if (ANNOTATIONS.has(keyword)) continue;
      if (!KEYWORDS.has(keyword)) throw new Error(`schema keyword ${keyword} is not one the checker knows`);
      errors.push(...checkKeyword(keyword, arg, v, at, schema));
    }
    return errors;
  };
  const checkKeyword = (keyword: string, arg: unknown, v: unknown, at: string, schema: Record<string, unknown>): string[] => {
    const isObject = typeOf(v) === 'object';
    const obj = v as Record<string, unknown>;
    switch (keyword) {
      case '$ref': {
        const name = /^#\/\$defs\/(.+)$/.exec(String(arg))?.[1];
        const target = name === undefined ? undefined : defs?.[name];
        if (target === undefined) throw new Error(`unresolvable $ref ${String(arg)}`);
        return check(target, v, at);
      }
      case 'type': {
        const types = Array.isArray(arg) ? arg as string[] : [arg as string];
        return types.some((t) => hasType(v, t)) ? [] : [`${at}: ${JSON.stringify(v)} is not of type ${types.join(' or ')}`];
      }
      case 'properties':
        return isObject ? Object.entries(arg as Record<string, Schema>).flatMap(([name, s]) =>
          name in obj ? check(s, obj[name], `${at}.${name}`) : []) : [];
      case 'required':
        return isObject ? (arg as string[]).filter((name) => !(name in obj)).map((name) => `${at}: ${name} is required`) : [];
      case 'additionalProperties': {
        if (!isObject) return [];
        const named = new Set(Object.keys((schema.properties ?? {}) as object));
        return Object.keys(obj).filter((name) => !named.has(name)).flatMap((name) => check(arg as Schema, obj[name], `${at}.${name}`));
      }
      case 'items':
        return Array.isArray(v) ? v.flatMap((item, i) => check(arg as Schema, item, `${at}[${i}]`)) : [];
      case 'enum':
        return (arg as unknown[]).some((e) => JSON.stringify(e) === JSON.stringify(v)) ? [] : [`${at}: ${JSON.stringify(v)} is not one of ${JSON.stringify(arg)}`];
      case 'const':
        return JSON.stringify(arg) === JSON.stringify(v) ? [] : [`${at}: ${JSON.stringify(v)} is not ${JSON.stringify(arg)}`];
      case 'anyOf': {
        const each = (arg as Schema[]).map((s) => check(s, v, at));
        return each.some((e) => e.length === 0) ? [] : [`${at}: matches none of anyOf (${each.map((e) => e.join('; ')).join(' | ')})`];
      }
      case 'allOf':
        return (arg as Schema[]).flatMap((s) => check(s, v, at));
      case 'not':
        return check(arg as Schema, v, at).length === 0 ? [`${at}: must not match ${JSON.stringify(arg)}`] : [];
      case 'minLength':
        return typeof v === 'string' && [...v].length < (arg as number) ? [`${at}: ${JSON.stringify(v)} is shorter than ${arg}`] : [];
      case 'pattern':
        return typeof v === 'string' && !new RegExp(arg as string, 'u').test(v) ? [`${at}: ${JSON.stringify(v)} does not match ${arg}`] : [];
      case 'minimum':
        return typeof v === 'number' && v < (arg as number) ? [`${at}: ${v} is below ${arg}`] : [];
      default:
        throw new Error(`unhandled keyword ${keyword}`);
    }
  };
  return check(root, value, '$');
}

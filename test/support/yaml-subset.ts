// A reader of the block-style YAML that examples/ uses (maps, lists, "|" block scalars, plain and quoted scalars,
// comments): enough to read a Kubernetes manifest as kubectl would, with no YAML package. Anything outside that subset
// (flow collections, anchors, several documents, tabs) throws rather than being read wrongly.

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line { indent: number; text: string; n: number }

const isSpace = (c: string | undefined) => c === ' ' || c === undefined;

/** The line without its comment: a "#" at the start or after a space, outside quotes. */
function withoutComment(raw: string): string {
  let quote = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || raw[i - 1] === ' ')) {
      return raw.slice(0, i).trimEnd();
    }
  }
  return raw.trimEnd();
}

function scalar(text: string, n: number): YamlValue {
  const t = text.trim();
  if (t === '{}') return {};
  if (t === '[]') return [];
  if (t.startsWith('[') || t.startsWith('{') || t.startsWith('&') || t.startsWith('*') || t.startsWith('!')) {
    throw new Error(`line ${n}: ${t} is outside the YAML subset this reader takes`);
  }
  if (t.startsWith('"') && t.endsWith('"') && t.length > 1) return JSON.parse(t) as string;
  if (t.startsWith("'") && t.endsWith("'") && t.length > 1) return t.slice(1, -1).split("''").join("'");
  if (t === '' || t === '~' || t === 'null') return null;
  if (t === 'true' || t === 'false') return t === 'true';
  // Digits with a leading 0 (a file mode, 0400) are left as written: YAML 1.1 readers take them as octal.
  if (t !== '' && [...t].every((c) => c >= '0' && c <= '9')) return t.length > 1 && t.startsWith('0') ? t : Number(t);
  return t;
}

/** Where "key: value" splits: the first ": " (or a final ":") outside quotes; -1 when the text is no map entry. */
function colonAt(text: string): number {
  if (text.startsWith('"') || text.startsWith("'")) return -1;
  for (let i = 0; i < text.length; i++) if (text[i] === ':' && isSpace(text[i + 1])) return i;
  return -1;
}

class Reader {
  #at = 0;
  constructor(readonly lines: Line[], readonly raw: string[]) {}

  get #line(): Line | undefined {
    return this.lines[this.#at];
  }

  /** The block at this indent: a list when its first line starts with "- ", else a map. */
  block(indent: number): YamlValue {
    const first = this.#line;
    if (!first || first.indent < indent) return null;
    return first.text === '-' || first.text.startsWith('- ') ? this.#list(first.indent) : this.#map(first.indent);
  }

  #map(indent: number): { [key: string]: YamlValue } {
    const map: { [key: string]: YamlValue } = {};
    for (let line = this.#line; line && line.indent === indent; line = this.#line) {
      const colon = colonAt(line.text);
      if (colon < 0) throw new Error(`line ${line.n}: expected "key: value", got ${line.text}`);
      const key = line.text.slice(0, colon).trim();
      if (key in map) throw new Error(`line ${line.n}: ${key} given twice`);
      map[key] = this.#valueAfter(line.text.slice(colon + 1).trim(), line, indent);
    }
    if (this.#line && this.#line.indent > indent) throw new Error(`line ${this.#line.n}: unexpected indent`);
    return map;
  }

  #list(indent: number): YamlValue[] {
    const list: YamlValue[] = [];
    for (let line = this.#line; line && line.indent === indent && (line.text === '-' || line.text.startsWith('- ')); line = this.#line) {
      const rest = line.text.slice(1).trimStart();
      if (rest === '' || rest === '|' || colonAt(rest) < 0) {
        list.push(this.#valueAfter(rest, line, indent));
        continue;
      }
      // "- key: value" opens a map whose entries continue at the indent of that key.
      const inner = indent + (line.text.length - rest.length);
      this.lines[this.#at] = { indent: inner, text: rest, n: line.n };
      list.push(this.#map(inner));
    }
    return list;
  }

  /** What follows "key:" or "- ": a scalar on the line, a "|" block scalar, or a nested block on the lines below. */
  #valueAfter(rest: string, line: Line, indent: number): YamlValue {
    this.#at++;
    if (rest === '|') return this.#blockScalar(indent);
    if (rest !== '') return scalar(rest, line.n);
    const next = this.#line;
    // A list may sit at its key's own indent in a map ("key:\n- a").
    if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) return this.block(next.indent);
    return null;
  }

  /** A literal block: the raw lines more indented than its key, the first one's indent removed, ending in one newline. */
  #blockScalar(indent: number): string {
    const start = this.#line?.n;
    if (start === undefined || this.#line!.indent <= indent) return '';
    let end = start;
    while (this.#line && this.#line.indent > indent) {
      end = this.#line.n;
      this.#at++;
    }
    const body = this.raw.slice(start - 1, end);
    const cut = body[0].length - body[0].trimStart().length;
    return body.map((l) => l.slice(cut)).join('\n') + '\n';
  }

  done(): void {
    if (this.#line) throw new Error(`line ${this.#line.n}: not read (${this.#line.text})`);
  }
}

/** One YAML document of the subset above. */
export function parseYamlSubset(text: string): YamlValue {
  const raw = text.split('\n');
  const lines: Line[] = [];
  raw.forEach((l, i) => {
    if (l.includes('\t')) throw new Error(`line ${i + 1}: a tab (YAML indents with spaces)`);
    const t = withoutComment(l);
    if (t.trim() === '' || t.trim() === '---') return;
    lines.push({ indent: t.length - t.trimStart().length, text: t.trim(), n: i + 1 });
  });
  const reader = new Reader(lines, raw);
  const value = reader.block(0);
  reader.done();
  return value;
}

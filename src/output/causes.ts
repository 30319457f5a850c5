import { Sse3Error } from '../errors.js';

/**
 * A batch's failures grouped by cause — what they say without the object they name, their error code and their fix —
 * so that 301 objects that all need one missing key are not 301 lines: the first few of a cause are said as they come,
 * the rest counted and said once at the end with a few of their names, and the batch's hint is the causes' own fix.
 * With --json every item keeps its line (this is for words only).
 */
export class FailureCauses {
  /** Failures of one cause said as they come; the rest are counted. */
  static readonly SHOWN = 3;
  readonly #causes = new Map<string, { message: string; hint?: string; count: number; more: string[] }>();

  /** Counts a failure under its cause; true while its cause has had fewer than SHOWN lines (say it now). */
  add(label: string, e: Error): boolean {
    const message = withoutObject(e.message, label);
    const hint = e instanceof Sse3Error ? e.hint : undefined;
    const key = `${e instanceof Sse3Error ? e.code : e.name}\n${message}\n${hint ?? ''}`;
    let cause = this.#causes.get(key);
    if (!cause) this.#causes.set(key, cause = { message, hint, count: 0, more: [] });
    cause.count++;
    if (cause.count <= FailureCauses.SHOWN) return true;
    if (cause.more.length < FailureCauses.SHOWN) cause.more.push(label);
    return false;
  }

  /** One line per cause for the failures not said: how many, what they have in common, a few of their names. */
  rest(): string[] {
    return [...this.#causes.values()].filter((c) => c.count > FailureCauses.SHOWN).map((c) => {
      const more = c.count - FailureCauses.SHOWN;
      return `${more} more failed the same way: ${c.message} (e.g. ${c.more.join(', ')}${more > c.more.length ? ', …' : ''})`;
    });
  }

  /** The fix to give once for the whole batch: the causes' own hints, when there are one or two of them. */
  hint(): string | undefined {
    const causes = [...this.#causes.values()];
    if (causes.length === 0 || causes.some((c) => !c.hint)) return undefined;
    const hints = [...new Set(causes.map((c) => c.hint!))];
    return hints.length <= 2 ? hints.join('; ') : undefined;
  }
}

/** A failure's message without the object it names (its label), which differs from one failure of a cause to the next. */
function withoutObject(message: string, label: string): string {
  if (message.startsWith(label)) return message.slice(label.length).replace(/^[:,]?\s*/, '');
  return message.split(label).join('it');
}

import type { TransferEvents } from '../core/context.js';
import { type BatchSummary, readAhead, runBatch } from '../core/runtime/batch.js';
import { ExitCode, Sse3Error } from '../errors.js';
import type { LineKind, Output } from './output.js';
import { FailureCauses } from './causes.js';
import { BatchProgress, withProgress } from './progress.js';

/** One item of a batch: what it is (an s3:// URL or a path, for its line and bar) and its work. */
type SummaryText = { json: Record<string, unknown>; line: string | string[]; failure?: string; hint?: string };

export interface BatchItem<R> {
  label: string;
  /**
   * The fields that name the item in its JSON line should it fail, as its success would name it (url, bucket, key,
   * versionId, path, source…); without them, taken from the label (output.ts idsOfLabel).
   */
  ids?: Record<string, unknown>;
  /** Bytes the item will move, when known before it runs: counted into the display's total ahead of time. */
  bytes?: number;
  /** The item moves little (an object under 1 MiB, or a HEAD): more such items run at once (ReportOptions.smallJobs). */
  small?: boolean;
  run: (events: TransferEvents) => Promise<R>;
}

/** An item's result in both forms: the human line(s) and the NDJSON object. */
export interface Rendered<J extends object = object> {
  line: string | string[];
  json: J;
  /**
   * What the line is (see LineKind): where it goes and whether -q keeps it. Shown alone (out.show) a line is a result
   * unless it says otherwise; in a batch it is a ✓ line (`done`), and a failure whenever its item is not OK.
   */
  kind?: LineKind;
}

export interface ReportOptions<R> {
  jobs: number;
  /** Small items (BatchItem.small) at most in flight, when more than jobs (see runBatch). */
  smallJobs?: number;
  signal: AbortSignal;
  /** An OK result's line(s) and NDJSON object; undefined prints nothing for it (a file found unchanged). */
  render: (result: R) => Rendered | undefined;
  /** For results that are not OK without an error being thrown: their exit status. */
  resultExitCode?: (result: R) => ExitCode;
  /** What the items are, for the summary and total lines ("objects", "files"). */
  noun?: string;
  /**
   * The closing summary, as the `{"summary": …}` object and the human line (default `{succeeded, failed}`; its `ok`
   * is added here: whether every item was OK), and, for a batch with failures, the failure's message and hint. `headline` is the line printed without one: "N ok, M
   * failed", or `nothing` for a batch that had nothing to do.
   */
  summary?: (s: BatchSummary, headline: string) => SummaryText | Promise<SummaryText>;
  /** Items taken from the source ahead of those running (default: only as many as run), for totals and an ETA. */
  readAhead?: number;
  /** More words for the total line of the display, read at each redraw. */
  status?: () => string;
  /** The summary line when there was nothing to do (e.g. "nothing under s3://b/x/ to copy"). */
  nothing?: string;
  /** Results in the items' order rather than as they finish (see runBatch). */
  ordered?: boolean;
  /** false: no progress bars (items that move no bytes worth watching). */
  bars?: boolean;
}

/**
 * The one way batch commands report: a line per item (NDJSON with --json) as it finishes, bars per item in flight
 * on a terminal, a summary line (`{"summary":…}`), and, when any item failed, an error whose exit status is the
 * most severe item's (4 > 3 > 5 > 1), reported after the summary (with --json the error's line is then the last).
 */
export async function reportBatch<R>(out: Output, items: AsyncIterable<BatchItem<R>>, opts: ReportOptions<R>): Promise<BatchSummary> {
  out.batch = opts.bars === false ? undefined : await BatchProgress.create(out, { noun: opts.noun, status: opts.status });
  const seen = (item: BatchItem<R>) => out.batch?.seen(item.bytes);
  const counted = opts.readAhead ? readAhead(items, opts.readAhead, seen) : (async function* () {
    for await (const item of items) {
      seen(item);
      yield item;
    }
  })();
  const run = (item: BatchItem<R>) => (opts.bars === false ? item.run({ onWarning: (m) => out.warn(m) })
    : withProgress(out, item.label, item.run, { announced: item.bytes !== undefined }));
  let summary: BatchSummary;
  // Counted here too: when the item source fails (a listing cut off), the JSON summary still closes the lines.
  const done = { succeeded: 0, failed: 0 };
  const causes = new FailureCauses();
  try {
    summary = await runBatch(counted, run, (o) => {
      const notOk = o.error !== undefined || (opts.resultExitCode?.(o.result!) ?? 0) !== 0;
      done[notOk ? 'failed' : 'succeeded']++;
      out.batch?.finished(!notOk);
      // Once Ctrl-C (or SIGTERM) stopped the batch, the items it cut short are the interruption, not failures of their
      // own: no ✗ line for each (the JSON lines keep them, as the record of which items did not finish).
      if (o.error) {
        // In words, failures of one cause are said a few times, then counted (FailureCauses); JSON keeps every item.
        if (out.json || (!opts.signal.aborted && causes.add(o.item.label, o.error))) out.itemError(o.item.label, o.error, o.item.ids);
      } else {
        const r = opts.render(o.result!);
        if (r) out.item(r.line, r.json, notOk ? 'failure' : r.kind ?? 'done');
      }
    }, { jobs: opts.jobs, smallJobs: opts.smallJobs, isSmall: (item) => Boolean(item.small), signal: opts.signal,
      resultExitCode: opts.resultExitCode, ordered: opts.ordered });
  } catch (e) {
    out.batch?.stop();
    out.batch = undefined;
    if (out.json) out.summary({ ...done, ok: false }, '');
    throw e;
  } finally {
    out.batch?.stop();
    out.batch = undefined;
  }
  // Stopped by a signal, a batch ends with the one interruption line (cli/run.ts says it, with the signal's exit
  // status), not with a summary of the items it cut short.
  if (opts.signal.aborted && !out.json) throw new Sse3Error('INTERRUPTED', 'interrupted; nothing partial was kept');
  for (const line of causes.rest()) out.say(`${out.c.red('✗')} ${line}`, 'failure');
  const noun = opts.noun ?? 'objects';
  const none = summary.ok + summary.failed === 0 && opts.nothing !== undefined && !opts.signal.aborted;
  const headline = none ? opts.nothing! : `${summary.ok} ok, ${summary.failed} failed`;
  const own = await opts.summary?.(summary, headline);
  const failure = summary.failed === 0 ? undefined : new Sse3Error('BATCH',
    own?.failure ?? `${summary.failed} of ${summary.ok + summary.failed} ${noun} failed`,
    own?.hint ?? causes.hint()
      ?? (summary.exitCode === ExitCode.UNREACHABLE ? 'the lines above say why; rerun once the server answers' : 'the lines above say why'),
    { exitCode: summary.exitCode });
  const closing = { ...(own?.json ?? { succeeded: summary.ok, failed: summary.failed }), ok: !failure && !opts.signal.aborted };
  out.summary(closing, own?.line ?? headline);
  if (failure) throw failure;
  // Stopped before every item ran, though none failed: never an exit status that says the batch was done.
  if (opts.signal.aborted) throw new Sse3Error('INTERRUPTED', 'interrupted', undefined, { exitCode: ExitCode.INTERRUPTED });
  return summary;
}

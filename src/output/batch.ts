import type { TransferEvents } from '../core/context.js';
import { type BatchSummary, readAhead, runBatch } from '../core/runtime/batch.js';
import { ExitCode, Sse3Error } from '../errors.js';
import { errorJson, itemErrorJson, type LineKind, type Output } from './output.js';
import { BatchProgress, withProgress } from './progress.js';

/** One item of a batch: what it is (an s3:// URL or a path, for its line and bar) and its work. */
type SummaryText = { json: Record<string, unknown>; line: string | string[]; failure?: string; hint?: string };

export interface BatchItem<R> {
  label: string;
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
   * The closing summary, as the `{"summary": …}` object and the human line (default `{ok, failed}`), and, for a
   * batch with failures, the failure's message and hint. `headline` is the line printed without one: "N ok, M
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
  /**
   * The batch is the command's result: one JSON document with --json, `head`'s fields, then the results as the array
   * `field`, then the summary's fields with `ok` and the failure as `error`; without --json, lines as in any batch.
   * Without it, results are NDJSON lines and the summary a `{"summary": …}` line.
   */
  document?: { head: Record<string, unknown>; field: string };
  /** false: no progress bars (items that move no bytes worth watching). */
  bars?: boolean;
}

/** Where a batch's results and summary go: NDJSON lines and a summary line, or one document (ReportOptions.document). */
interface BatchSink {
  /** An item's line(s) as `kind`. */
  result(r: Rendered, kind: LineKind): void;
  error(label: string, e: Error): void;
  /** The summary's JSON and line; failure, when an item failed, is thrown once the summary is out. */
  close(json: Record<string, unknown>, line: string | string[], failure: Sse3Error | undefined): void;
}

function ndjsonSink(out: Output): BatchSink {
  return {
    result: (r, kind) => out.item(r.line, r.json, kind),
    error: (label, e) => out.itemError(label, e),
    close: (json, line) => out.summary(json, line),
  };
}

function documentSink(out: Output, document: NonNullable<ReportOptions<unknown>['document']>): BatchSink {
  const doc = out.json ? out.streamDocument(document.head, document.field) : undefined;
  return {
    result: (r, kind) => (doc ? doc.item(r.json) : out.say(r.line, kind)),
    error: (label, e) => (doc ? doc.item(itemErrorJson(label, e)) : out.itemError(label, e)),
    // In the document, `ok` says whether every item was OK, and `error` is the failure the exit status reports.
    close: (json, line, failure) => (doc ? doc.close({ ...json, ok: !failure, ...(failure ? { error: errorJson(failure) } : {}) })
      : out.say(line, 'note')),
  };
}

/**
 * The one way batch commands report: a line per item (NDJSON with --json) as it finishes, bars per item in flight
 * on a terminal, a summary line (`{"summary":…}`), and, when any item failed, an error whose exit status is the
 * most severe item's (4 > 3 > 5 > 1). With `document`, the batch is the command's one result document instead.
 */
export async function reportBatch<R>(out: Output, items: AsyncIterable<BatchItem<R>>, opts: ReportOptions<R>): Promise<BatchSummary> {
  const sink = opts.document ? documentSink(out, opts.document) : ndjsonSink(out);
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
  try {
    summary = await runBatch(counted, run, (o) => {
      const notOk = o.error !== undefined || (opts.resultExitCode?.(o.result!) ?? 0) !== 0;
      out.batch?.finished(!notOk);
      // Once Ctrl-C (or SIGTERM) stopped the batch, the items it cut short are the interruption, not failures of their
      // own: no ✗ line for each (the JSON lines keep them, as the record of which items did not finish).
      if (o.error) {
        if (!opts.signal.aborted || out.json) sink.error(o.item.label, o.error);
      } else {
        const r = opts.render(o.result!);
        if (r) sink.result(r, notOk ? 'failure' : r.kind ?? 'done');
      }
    }, { jobs: opts.jobs, smallJobs: opts.smallJobs, isSmall: (item) => Boolean(item.small), signal: opts.signal,
      resultExitCode: opts.resultExitCode, ordered: opts.ordered });
  } finally {
    out.batch?.stop();
    out.batch = undefined;
  }
  // Stopped by a signal, a batch ends with the one interruption line (cli/run.ts says it, with the signal's exit
  // status), not with a summary of the items it cut short.
  if (opts.signal.aborted && !out.json) throw new Sse3Error('INTERRUPTED', 'interrupted; nothing partial was kept');
  const noun = opts.noun ?? 'objects';
  const none = summary.ok + summary.failed === 0 && opts.nothing !== undefined && !opts.signal.aborted;
  const headline = none ? opts.nothing! : `${summary.ok} ok, ${summary.failed} failed`;
  const own = await opts.summary?.(summary, headline);
  const failure = summary.failed === 0 ? undefined : new Sse3Error('BATCH',
    own?.failure ?? `${summary.failed} of ${summary.ok + summary.failed} ${noun} failed`,
    own?.hint ?? (summary.exitCode === ExitCode.UNREACHABLE ? 'the lines above say why; rerun once the server answers' : 'the lines above say why'),
    { exitCode: summary.exitCode });
  sink.close(own?.json ?? { ok: summary.ok, failed: summary.failed }, own?.line ?? headline, failure);
  if (opts.signal.aborted) throw new Sse3Error('INTERRUPTED', 'interrupted; nothing partial was kept');
  if (failure) throw failure;
  return summary;
}

import type { TransferEvents } from '../core/context.js';
import { type BatchSummary, readAhead, runBatch } from '../core/runtime/batch.js';
import { ExitCode, Sse3Error } from '../errors.js';
import type { Output } from './output.js';
import { BatchProgress, withProgress } from './progress.js';

/** One item of a batch: what it is (an s3:// URL or a path, for its line and bar) and its work. */
type SummaryText = { json: Record<string, unknown>; line: string; failure?: string; hint?: string };

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
}

/**
 * The one way batch commands report: a line per item (NDJSON with --json) as it finishes, bars per item in flight
 * on a terminal, a summary line (`{"summary":…}`), and, when any item failed, an error whose exit status is the
 * most severe item's (4 > 3 > 5 > 1).
 */
export async function reportBatch<R>(out: Output, items: AsyncIterable<BatchItem<R>>, opts: ReportOptions<R>): Promise<BatchSummary> {
  out.batch = await BatchProgress.create(out, { noun: opts.noun, status: opts.status });
  const seen = (item: BatchItem<R>) => out.batch?.seen(item.bytes);
  const counted = opts.readAhead ? readAhead(items, opts.readAhead, seen) : (async function* () {
    for await (const item of items) {
      seen(item);
      yield item;
    }
  })();
  let summary: BatchSummary;
  try {
    summary = await runBatch(counted, (item) => withProgress(out, item.label, item.run, { announced: item.bytes !== undefined }), (o) => {
      const notOk = o.error !== undefined || (opts.resultExitCode?.(o.result!) ?? 0) !== 0;
      out.batch?.finished(!notOk);
      if (o.error) out.itemError(o.item.label, o.error);
      else {
        const r = opts.render(o.result!);
        if (r) out.item(r.line, r.json);
      }
    }, { jobs: opts.jobs, smallJobs: opts.smallJobs, isSmall: (item) => Boolean(item.small), signal: opts.signal,
      resultExitCode: opts.resultExitCode });
  } finally {
    out.batch?.stop();
    out.batch = undefined;
  }
  const noun = opts.noun ?? 'objects';
  const none = summary.ok + summary.failed === 0 && opts.nothing !== undefined && !opts.signal.aborted;
  const headline = none ? opts.nothing! : `${summary.ok} ok, ${summary.failed} failed`;
  const own = await opts.summary?.(summary, headline);
  out.summary(own?.json ?? { ok: summary.ok, failed: summary.failed }, own?.line ?? headline);
  if (summary.failed > 0) {
    throw new Sse3Error('BATCH', own?.failure ?? `${summary.failed} of ${summary.ok + summary.failed} ${noun} failed`,
      own?.hint ?? (summary.exitCode === ExitCode.UNREACHABLE ? 'the lines above say why; rerun once the server answers' : 'the lines above say why'),
      { exitCode: summary.exitCode });
  }
  return summary;
}

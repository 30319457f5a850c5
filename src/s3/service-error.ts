import type { IncomingMessage } from 'node:http';
import { dropUndefined, header } from './answer-headers.js';
import { readCapped, SMALL_ANSWER_BYTES } from './caps.js';

/**
 * An error answer to one of sse3's own requests, as the SDK builds it for S3 (REST-XML), so callers see one shape
 * whichever path sent the request: name and Code from the body's <Code>, else NotFound for a 404 and Unknown
 * otherwise (a HEAD's error has no body); message from <Message>, else "UnknownError"; RequestId, HostId, Resource and
 * BucketName when the body has them; $metadata with the status and request ids; $fault client or server.
 */
export async function serviceError(res: IncomingMessage, method: string): Promise<Error> {
  let text = '';
  if (method !== 'HEAD') {
    // An error document longer than SMALL_ANSWER_BYTES is not read on, nor used: the status still says what happened.
    text = (await readCapped(res, SMALL_ANSWER_BYTES).catch(() => undefined))?.toString('utf8') ?? '';
  } else {
    res.resume();
  }
  const field = (name: string) => {
    const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(text);
    return m ? unxml(m[1]) : undefined;
  };
  const status = res.statusCode ?? -1;
  const code = field('Code');
  const e = new Error(field('Message') || 'UnknownError') as Error & Record<string, unknown>;
  e.name = code ?? (status === 404 ? 'NotFound' : 'Unknown');
  const fields: Record<string, string | undefined> = { Code: code, RequestId: field('RequestId'), HostId: field('HostId'),
    Resource: field('Resource'), BucketName: field('BucketName') };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) e[k] = v;
  e.$fault = status < 500 ? 'client' : 'server';
  e.$metadata = dropUndefined({ httpStatusCode: status, requestId: header(res.headers, 'x-amz-request-id'),
    extendedRequestId: header(res.headers, 'x-amz-id-2'), cfId: header(res.headers, 'x-amz-cf-id') });
  return e;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' };
const unxml = (s: string) => s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
  XML_ENTITIES[e] ?? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))));

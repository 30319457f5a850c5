// The S3 twin's bucket encryption configurations (GetBucketEncryption, PutBucketEncryption), kept as the XML that
// travels on the wire: every request goes through a real S3Client of the SDK whose HTTP handler is this class, so what
// sse3 sends is serialized, and what the twin answers parsed, by the SDK's own model of the API — an element name
// sse3 or the twin got wrong does not survive the trip.
import { Readable } from 'node:stream';
import { GetBucketEncryptionCommand, PutBucketEncryptionCommand, S3Client } from '@aws-sdk/client-s3';

type Input = Record<string, any>;

/** A configuration as AWS answers it: XML text, or the SDK's ServerSideEncryptionConfiguration shape. */
export type TwinEncryption = string | Input;

export class TwinEncryptionStore {
  /** Each bucket's configuration, as the XML body of the last PutBucketEncryption (or the default's). */
  readonly #stored = new Map<string, string>();
  /** The request bodies of every PutBucketEncryption, in order, as they went over the wire. */
  readonly putBodies: string[] = [];
  readonly #wire = new S3Client({
    region: 'us-east-1', endpoint: 'https://twin.invalid', forcePathStyle: true,
    credentials: { accessKeyId: 'twin', secretAccessKey: 'twin' },
    requestHandler: { handle: (req: any) => this.#handle(req) } as never,
  });
  #initial: TwinEncryption | undefined;

  constructor(initial: TwinEncryption | undefined) {
    this.#initial = initial;
  }

  async #handle(req: { method: string; path: string; query: Record<string, unknown>; body?: unknown }) {
    if (!('encryption' in req.query)) throw new Error(`S3 twin: not a bucket encryption request: ${req.method} ${req.path}`);
    const bucket = req.path.replace(/^\/|\/$/g, '');
    if (req.method === 'PUT') {
      const body = typeof req.body === 'string' ? req.body : Buffer.from(req.body as Uint8Array).toString('utf8');
      this.putBodies.push(body);
      this.#stored.set(bucket, body);
      return { response: { statusCode: 200, headers: {}, body: Readable.from([]) } };
    }
    const stored = this.#stored.get(bucket);
    if (stored === undefined) {
      return { response: { statusCode: 404, headers: { 'content-type': 'application/xml' }, body: Readable.from([Buffer.from(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServerSideEncryptionConfigurationNotFoundError</Code>' +
        '<Message>The server side encryption configuration was not found</Message></Error>')]) } };
    }
    return { response: { statusCode: 200, headers: { 'content-type': 'application/xml' }, body: Readable.from([Buffer.from(stored)]) } };
  }

  /** The default configuration goes onto a bucket at its first use: XML as given, or serialized by the SDK. */
  async #seed(bucket: string): Promise<void> {
    if (this.#stored.has(bucket) || this.#initial === undefined) return;
    if (typeof this.#initial === 'string') return void this.#stored.set(bucket, this.#initial);
    await this.#wire.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: this.#initial as never }));
    this.putBodies.pop();
  }

  async answer(op: 'GetBucketEncryption' | 'PutBucketEncryption', input: Input): Promise<any> {
    await this.#seed(input.Bucket);
    const sent = op === 'GetBucketEncryption' ? new GetBucketEncryptionCommand(input as never) : new PutBucketEncryptionCommand(input as never);
    const { $metadata: _, ...answer } = await this.#wire.send(sent as never) as Input;
    return answer;
  }

  /** Whether the bucket's configuration blocks SSE-C writes: AWS answers them 403 AccessDenied, with no SSE-C-specific text. */
  async blocksSseC(bucket: string): Promise<boolean> {
    await this.#seed(bucket);
    return /<BlockedEncryptionTypes>(?:(?!<\/BlockedEncryptionTypes>).)*<EncryptionType>SSE-C<\/EncryptionType>/s
      .test(this.#stored.get(bucket) ?? '');
  }
}

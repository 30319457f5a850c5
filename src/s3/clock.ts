/**
 * The server's clock as sse3's own signed requests see it, corrected as the AWS SDK corrects its own: a request signed
 * at a time the server finds too far from its own is refused (RequestTimeTooSkewed), so each answer's Date header
 * teaches the offset between this machine's clock and the server's, and requests are signed at the server's time.
 */

/** A difference the SDK takes for a skewed clock (5 minutes); smaller ones are left as they are. */
const SKEWED_MS = 300_000;

export class ServerClock {
  #offsetMs = 0;

  /** The time to sign a request with: this machine's, moved by the offset learned. */
  now(): Date {
    return new Date(Date.now() + this.#offsetMs);
  }

  /** Learn from an answer's Date header; true when it corrected the offset (a refused request is then worth one retry). */
  learn(dateHeader: string | undefined): boolean {
    const server = dateHeader ? Date.parse(dateHeader) : Number.NaN;
    if (Number.isNaN(server) || Math.abs(server - (Date.now() + this.#offsetMs)) < SKEWED_MS) return false;
    this.#offsetMs = server - Date.now();
    return true;
  }
}

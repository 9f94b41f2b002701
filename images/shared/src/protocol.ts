/**
 * socklab's wire protocol: newline-terminated text lines, as in the course's Python labs.
 *
 *   echo       client sends one request line; the server works, answers with the same line, closes first.
 *   greet      the server speaks first with GREETING, then behaves as `echo`.
 *   keepalive  the client sends many lines on one connection; the server answers each; the client closes.
 *
 * A client that waits for a greeting from an `echo` server reproduces the notebook's deadlock:
 * both sides block in recv.
 */
export const PROTOCOLS = ['echo', 'greet', 'keepalive'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const GREETING = 'HELLO socklab';
export const MAX_LINE_BYTES = 4096;
export const DEFAULT_MESSAGE = 'ola servidor';

/** Encode one line for the wire. */
export function encodeLine(text: string): Buffer {
  if (text.includes('\n')) throw new Error('a protocol line cannot contain a newline');
  return Buffer.from(`${text}\n`, 'utf8');
}

/** The server's answer to a request line. */
export function responseFor(request: string): string {
  return request;
}

/** Splits a byte stream into lines; keeps a partial line until its newline arrives. */
export class LineSplitter {
  private pending = '';

  /** Feed bytes, get the complete lines they finish. Throws if a line outgrows MAX_LINE_BYTES. */
  push(chunk: Buffer | string): string[] {
    this.pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    if (Buffer.byteLength(this.pending) > MAX_LINE_BYTES) throw new Error(`protocol line longer than ${MAX_LINE_BYTES} bytes`);
    return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }
}

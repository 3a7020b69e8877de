/**
 * Reads a request body up to a limit without ever holding more than the limit in memory.
 * A declared Content-Length over the limit is refused before a byte is read; a chunked body
 * (no Content-Length) is counted while it streams, and reading stops at the first chunk that
 * crosses the limit. The caller answers 413; the rest is never buffered or parsed.
 *
 * Why no `Connection: close` + immediate close: closing a socket that still has unread request
 * bytes makes the kernel send a TCP RST, and a client that gets the RST before it read our 413
 * drops the 413 too (seen on loopback). @hono/node-server instead discards what is in flight for
 * at most 500 ms / 64 MiB after the answer and then closes (nginx calls it lingering close):
 * memory stays bounded and the sender actually sees 413.
 */

export type BodyRefusal = { readonly ok: false; readonly reason: 'too_large' | 'bad_length' };
export type BodyResult = { readonly ok: true; readonly body: Buffer } | BodyRefusal;

/** Content-Length as a number; undefined when absent; NaN when malformed. Header names lower-case. */
export function declaredLength(headers: Readonly<Record<string, string>>): number | undefined {
  const v = headers['content-length'];
  if (v === undefined) return undefined;
  return /^\d+$/.test(v.trim()) ? Number(v.trim()) : Number.NaN;
}

export function exceedsDeclared(headers: Readonly<Record<string, string>>, limit: number): BodyRefusal | undefined {
  const n = declaredLength(headers);
  if (n === undefined) return undefined;
  if (Number.isNaN(n)) return { ok: false, reason: 'bad_length' };
  return n > limit ? { ok: false, reason: 'too_large' } : undefined;
}

/**
 * `headers` are the request's headers, lower-cased. With a declared length the server's fast
 * path reads the body in one piece (the HTTP parser enforces the length); `req.body` is only
 * touched for chunked bodies, because on @hono/node-server that getter builds a web stream.
 */
export async function readBody(
  req: Request,
  headers: Readonly<Record<string, string>>,
  limit: number,
): Promise<BodyResult> {
  const early = exceedsDeclared(headers, limit);
  if (early) return early;
  if (declaredLength(headers) !== undefined) return { ok: true, body: Buffer.from(await req.arrayBuffer()) };
  if (req.body === null) return { ok: true, body: Buffer.alloc(0) };
  const reader = (req.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) return { ok: false, reason: 'too_large' };
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return { ok: true, body: Buffer.concat(chunks, total) };
}

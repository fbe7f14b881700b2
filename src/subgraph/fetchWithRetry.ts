/**
 * `fetch` with one immediate retry when the connection failed before any response arrived
 * because the peer had closed it (a pooled keep-alive connection the server timed out just as
 * it was reused: ECONNRESET, EPIPE, undici's socket error). Nothing was processed then, so
 * a retry is safe for the JWKS GET and for introspection (a read). Timeouts are not retried:
 * the caller's AbortSignal bounds both attempts together.
 */
const CONNECTION_CLOSED = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

function closedUnderUs(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === "string" && CONNECTION_CLOSED.has(cause.code);
}

export async function fetchWithRetry(url: URL, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if (init.signal?.aborted || !closedUnderUs(err)) throw err;
    return fetch(url, init);
  }
}

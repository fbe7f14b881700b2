import { connect } from "node:net";

/**
 * A GraphQL POST whose answer is kept raw (status, headers, text), for comparing two answers
 * byte for byte. The headers that differ between any two answers are left out.
 */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** A fresh request id and the clock: different in every answer. */
const VARYING = new Set(["date", "x-request-id"]);

export async function postRaw(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<RawAnswer> {
  const res = await fetch(`${url}/graphql`, { method: "POST", headers, body });
  const kept: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!VARYING.has(name)) kept[name] = value;
  });
  return { status: res.status, headers: kept, text: await res.text() };
}

/** An HTTP/1.1 answer read off a socket: the status, lower-cased headers, the body text. */
export interface WireAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/**
 * Sends one request with `target` written verbatim on the request line (fetch() and URL
 * resolve `..`, `//` and `%2e` before sending, so a test of path handling must not use them),
 * over a connection of its own that the answer closes.
 */
export function sendTarget(
  url: string,
  target: string,
  {
    method = "GET",
    headers = {},
    body = "",
  }: { method?: string; headers?: Record<string, string>; body?: string } = {},
  timeoutMs = 5000,
): Promise<WireAnswer> {
  const { hostname, port } = new URL(url);
  const lines = [`${method} ${target} HTTP/1.1`, `host: ${hostname}:${port}`, "connection: close"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== "") lines.push(`content-length: ${Buffer.byteLength(body)}`);
  const request = `${lines.join("\r\n")}\r\n\r\n${body}`;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(request, "latin1"));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer to ${method} ${target} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      // latin1 keeps one character per byte, so chunk sizes count characters.
      const raw = Buffer.concat(chunks).toString("latin1");
      const split = raw.indexOf("\r\n\r\n");
      const head = split < 0 ? raw : raw.slice(0, split);
      const [statusLine = "", ...headerLines] = head.split("\r\n");
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
      if (!match) return reject(new Error(`not an HTTP answer: ${raw.slice(0, 200)}`));
      const answerHeaders: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(":");
        if (colon > 0)
          answerHeaders[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let text = split < 0 ? "" : raw.slice(split + 4);
      if (answerHeaders["transfer-encoding"] === "chunked") text = unchunk(text);
      resolve({
        status: Number(match[1]),
        headers: answerHeaders,
        text: Buffer.from(text, "latin1").toString("utf8"),
      });
    });
  });
}

/** The payload of a chunked body (RFC 9112 §7.1), extensions and trailers ignored. */
function unchunk(text: string): string {
  let out = "";
  let rest = text;
  for (;;) {
    const eol = rest.indexOf("\r\n");
    if (eol < 0) return out;
    const size = parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

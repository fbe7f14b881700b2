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

/**
 * A small browser over fetch for the hosted sign-in pages (src/oidc/): a cookie jar, manual
 * redirects (so a test sees every hop), and the forms of a page read out of its HTML. The
 * pages have no script, so this is what a browser does with them, minus the rendering; the
 * Chromium tests (test/browser/) cover the rendering.
 */

export interface Page {
  status: number;
  url: string;
  html: string;
  headers: Headers;
}

export interface Form {
  /** The hidden `step` value. */
  step: string;
  /** Every named input's value (hidden ones included). */
  fields: Record<string, string>;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** Every <form> of a page with its inputs' names and values. */
export function formsOf(html: string): Form[] {
  const forms: Form[] = [];
  for (const m of html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/g)) {
    const fields: Record<string, string> = {};
    for (const input of m[1]!.matchAll(/<input\b([^>]*)>/g)) {
      const attrs = input[1]!;
      const name = /\bname="([^"]*)"/.exec(attrs)?.[1];
      if (name === undefined) continue;
      const type = /\btype="([^"]*)"/.exec(attrs)?.[1];
      if (type === "radio") continue;
      fields[decodeEntities(name)] = decodeEntities(/\bvalue="([^"]*)"/.exec(attrs)?.[1] ?? "");
    }
    forms.push({ step: fields["step"] ?? "", fields });
  }
  return forms;
}

export class HostedBrowser {
  /** name → value, as a browser keeps them for this one origin. */
  readonly cookies = new Map<string, string>();

  constructor(readonly origin: string) {}

  private absorb(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") };
  }

  /** One request, no redirect followed. */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Page> {
    const target = new URL(url, this.origin).toString();
    const res = await fetch(target, {
      method: init.method ?? (init.form ? "POST" : "GET"),
      redirect: "manual",
      headers: {
        ...this.cookieHeader(),
        ...(init.form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        ...init.headers,
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    this.absorb(res.headers);
    return { status: res.status, url: target, html: await res.text(), headers: res.headers };
  }

  /**
   * Follows redirects on this origin until a page, or until a redirect leaves the origin
   * (the client's callback): then its URL is returned as `left`.
   */
  async follow(
    url: string,
    init: Parameters<HostedBrowser["request"]>[1] = {},
  ): Promise<{ page: Page; left?: string }> {
    let page = await this.request(url, init);
    for (let hops = 0; hops < 10; hops++) {
      const location = page.headers.get("location");
      if (page.status < 300 || page.status >= 400 || location === null) return { page };
      const next = new URL(location, page.url);
      if (next.origin !== this.origin) return { page, left: next.toString() };
      page = await this.request(next.toString());
    }
    throw new Error("too many redirects");
  }

  /** Submits the form of `page` whose step is `step`, with `values` over its own fields. */
  async submit(
    page: Page,
    step: string,
    values: Record<string, string> = {},
  ): Promise<{ page: Page; left?: string }> {
    const form = formsOf(page.html).find((f) => f.step === step);
    if (!form)
      throw new Error(
        `no "${step}" form on the page: ${formsOf(page.html)
          .map((f) => f.step)
          .join(", ")}\n${page.html.slice(0, 3000)}`,
      );
    return this.follow(`${this.origin}/login`, {
      form: { ...form.fields, ...values },
      headers: { origin: this.origin, "sec-fetch-site": "same-origin" },
    });
  }
}

/** The `step` of the page's main form (the one that is not a secondary action). */
export function stepOf(page: Page): string | undefined {
  const secondary = new Set(["cancel", "forgot-start", "sign-up-start", "resend"]);
  return formsOf(page.html).find((f) => !secondary.has(f.step))?.step;
}

/** The text of the page's role=alert element, if any. */
export function alertOf(page: Page): string | undefined {
  const m = /<div[^>]*role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(page.html);
  const text = m?.[1]?.replace(/<[^>]+>/g, "").trim();
  return text === "" ? undefined : text && decodeEntities(text);
}

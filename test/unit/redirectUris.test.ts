/**
 * What an app client may register as a callback or sign-out URL (src/identity/redirectUris.ts):
 * the redirect is where /oauth2/authorize hands over a code or tokens, so each refused kind is
 * named after the attack it stops. The same rules through the client service and the admin
 * GraphQL API are in test/integration/clients.test.ts and app-clients.test.ts.
 */
import {
  isLoopbackHost,
  REDIRECT_URIS_MAX,
  validateRedirectUris,
} from "../../src/identity/redirectUris";

function codeOf(uris: readonly string[]): string | undefined {
  try {
    validateRedirectUris(uris, "callbackUrls");
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe("validateRedirectUris", () => {
  it.each([
    ["an https URL", "https://app.example.com/callback"],
    ["an https URL with a port and a query", "https://app.example.com:8443/cb?tenant=a"],
    ["http to localhost (a developer's machine)", "http://localhost:3000/callback"],
    ["http to 127.0.0.1 (RFC 8252 §7.3 loopback)", "http://127.0.0.1:51004/cb"],
    ["http to [::1] (RFC 8252 §7.3 loopback)", "http://[::1]:51004/cb"],
    ["a reverse-DNS private-use scheme (RFC 8252 §7.1)", "com.example.app:/oauth2redirect"],
    ["a Cognito-style app scheme", "myapp://callback"],
    ["percent-encoded characters", "https://app.example.com/caf%C3%A9"],
  ])("happy flow: accepts %s", (_what, uri) => {
    expect(validateRedirectUris([uri], "callbackUrls")).toEqual([uri]);
  });

  it("keeps each URL exactly as given (the authorize endpoint matches the string)", () => {
    // new URL() would add a trailing slash and lowercase the host; an exact match must not.
    expect(validateRedirectUris(["https://App.Example.com"], "callbackUrls")).toEqual([
      "https://App.Example.com",
    ]);
  });

  it("drops duplicates and keeps the order", () => {
    expect(
      validateRedirectUris(
        ["https://b.example/cb", "https://a.example/cb", "https://b.example/cb"],
        "logoutUrls",
      ),
    ).toEqual(["https://b.example/cb", "https://a.example/cb"]);
  });

  it.each([
    [
      "javascript: URLs (script injection through the redirect)",
      "javascript:alert(document.cookie)",
    ],
    ["javascript: in any letter case (script injection)", "JavaScript:alert(1)"],
    [
      "javascript: split by a tab, which browsers strip (script injection)",
      "java\tscript:alert(1)",
    ],
    ["vbscript: URLs (script injection in old browsers)", "vbscript:msgbox(1)"],
    ["data: URLs (a page of the attacker's making under the redirect)", "data:text/html,hi"],
    ["file: URLs (the browser reads a local file)", "file:///etc/passwd"],
    ["blob: URLs (content the browser holds)", "blob:https://app.example.com/1234"],
    ["http: to a remote host (the code crosses the network in clear)", "http://app.example.com/cb"],
    [
      "http: to a host that only starts with localhost (look-alike host)",
      "http://localhost.evil.example/cb",
    ],
    [
      "a fragment (RFC 6749 §3.1.2: codes and tokens leak through it)",
      "https://app.example.com/cb#x",
    ],
    ["an empty fragment", "https://app.example.com/cb#"],
    [
      "userinfo (https://good@evil reads as the good host, goes to the evil one)",
      "https://app.example.com@evil.example/cb",
    ],
    ["an empty userinfo", "https://@evil.example/cb"],
    ["a user and password", "https://user:pw@app.example.com/cb"],
    [
      "a backslash (parsers disagree on the host: open redirect)",
      "https://app.example.com\\@evil.example/",
    ],
    ["https: without // (parsers repair it differently)", "https:evil.example/cb"],
    ["https: with one slash", "https:/evil.example/cb"],
    ["a relative URL (no scheme)", "/callback"],
    ["a host without a scheme", "app.example.com/callback"],
    ["localhost:3000 without http:// (taken for a scheme)", "localhost:3000/callback"],
    ["mailto: (not an app's redirect scheme)", "mailto:someone@example.com"],
    ["a scheme with nothing after it", "myapp://"],
    ["spaces", "https://app.example.com/call back"],
    ["non-ASCII characters (homograph hosts)", "https://аpp.example.com/cb"],
    [
      "quotes and angle brackets (markup injection where the URL is shown)",
      'https://app.example.com/"><script>',
    ],
    ["an empty string", ""],
    ["a URL over 1024 characters", `https://app.example.com/${"a".repeat(1001)}`],
  ])("error flow: refuses %s with BAD_USER_INPUT", (_what, uri) => {
    expect(codeOf([uri])).toBe("BAD_USER_INPUT");
  });

  it("accepts a URL of exactly 1024 characters", () => {
    const base = "https://app.example.com/";
    expect(codeOf([base + "a".repeat(1024 - base.length)])).toBeUndefined();
  });

  it(`error flow: refuses more than ${REDIRECT_URIS_MAX} URLs, counted after duplicates are dropped`, () => {
    const many = Array.from({ length: REDIRECT_URIS_MAX }, (_, i) => `https://a.example/${i}`);
    expect(codeOf([...many, many[0]!])).toBeUndefined();
    expect(codeOf([...many, "https://a.example/one-more"])).toBe("BAD_USER_INPUT");
  });

  it("error flow: one bad URL among good ones refuses the list", () => {
    expect(codeOf(["https://a.example/cb", "javascript:alert(1)"])).toBe("BAD_USER_INPUT");
  });
});

describe("isLoopbackHost", () => {
  it.each(["localhost", "LOCALHOST", "127.0.0.1", "[::1]", "::1"])("%s is loopback", (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(["localhost.evil.example", "127.0.0.2", "0.0.0.0", "example.com", "[::2]", ""])(
    "%s is not",
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );
});

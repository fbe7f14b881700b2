/**
 * Headless Chromium for browser tests (Debian's `chromium`, driven by playwright-core), with
 * the launch arguments of test/browser/login.test.ts. A suite that uses it fails, never skips,
 * when Chromium is missing: CI installs it (.ci/run).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env["POOLGATE_TEST_CHROMIUM_PATH"] || "/usr/bin/chromium";
/** Screenshots go here (gitignored). */
export const OUTPUT = join(__dirname, "..", "..", "test-output");

const LAUNCH_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: run \`npm test\` (its pretest step installs it as root) or \`sudo sh -c 'apt-get update && apt-get install -y chromium'\``,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Console errors (a CSP violation is one) and uncaught script errors, in order. */
  problems: string[];
}

/** A page in a fresh context (its own cookies), light colour scheme, every problem recorded. */
export async function watchedPage(browser: Browser): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: { width: 800, height: 900 },
    colorScheme: "light",
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(String(e)));
  return { context, page, problems };
}

/**
 * Headless Chromium for browser tests (Debian's `chromium`, driven by playwright-core): its
 * path, launch arguments and a page that records every console error. A suite that uses it
 * fails, never skips, when Chromium is missing: `npm test` installs it (its pretest step).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env["POOLGATE_TEST_CHROMIUM_PATH"] || "/usr/bin/chromium";
/** Screenshots go here (gitignored). */
export const OUTPUT = join(__dirname, "..", "..", "test-output");

export const LAUNCH_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

/** Fails (never skips) with the command to run when Chromium is missing. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: run \`npm test\` (its pretest step installs it as root) or \`sudo sh -c 'apt-get update && apt-get install -y chromium'\``,
    );
  }
}

export async function launchChromium(): Promise<Browser> {
  requireChromium();
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

/**
 * Work that must not delay an answer, because its duration would tell something: sending a
 * code to a real user while a made-up name gets none (forgotPassword, resendConfirmationCode,
 * a passwordless email sign-in). It starts on a later turn of the event loop, after the
 * answer is on its way; its failures are logged, never thrown at anyone; a stop waits for it.
 */
import type { Logger } from "pino";
import { PoolgateError } from "../errors";
import { errorSummary } from "../log";

export class AfterAnswer {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  /** Runs `work` after the answer; `what` names it in the log line of a failure. */
  run(what: string, work: () => Promise<void>): void {
    const run = (async () => {
      // Yield first, so the answer is on its way before any of the work starts.
      await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        await work();
      } catch (err) {
        const detail =
          err instanceof PoolgateError ? (err.logDetail ?? err.code) : errorSummary(err);
        this.logger.warn({ event: what, detail }, "code delivery failed: the code is void");
      }
    })();
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  /** Waits for the work still under way (on stop, and in tests). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}

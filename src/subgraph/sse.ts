/**
 * A server-sent events parser (the WHATWG HTML "event stream interpretation"), small enough
 * to read whole: text in, events out. Lines end with CRLF, LF or CR; `data` lines join with
 * LF; `id` sets the last event id (one holding NUL is ignored) and survives events without
 * one; an event with no data is not dispatched; comments (`:` lines) are reported, since the
 * revocation feed's heartbeats are comments; `retry` and unknown fields are ignored.
 */
export interface SseEvent {
  /** `message` unless an `event` field said otherwise. */
  event: string;
  data: string;
  /** The last event id as of this event (from this event or an earlier one). */
  lastEventId: string;
}

export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private lastEventId = "";
  private started = false;
  /** The previous chunk ended with CR: an LF opening this one belongs to it. */
  private pendingCr = false;

  constructor(
    private readonly onEvent: (event: SseEvent) => void,
    private readonly onComment: (text: string) => void = () => undefined,
  ) {}

  /** Feeds decoded text (any split, even inside a line or a CRLF). */
  push(text: string): void {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCr && text.startsWith("\n")) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    let start = 0;
    for (;;) {
      let i = start;
      const n = this.buffer.length;
      while (i < n) {
        const c = this.buffer.charCodeAt(i);
        if (c === 10 || c === 13) break;
        i++;
      }
      if (i >= n) break;
      const line = this.buffer.slice(start, i);
      if (this.buffer.charCodeAt(i) === 13) {
        if (i + 1 < n) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCr = true;
        }
      }
      start = i + 1;
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return this.onComment(line.slice(1).trimStart());
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.event = value;
        return;
      case "data":
        this.data.push(value);
        return;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        return;
      default:
        return;
    }
  }

  private dispatch(): void {
    const event = this.event;
    const data = this.data;
    this.event = "";
    this.data = [];
    if (data.length === 0) return;
    this.onEvent({
      event: event || "message",
      data: data.join("\n"),
      lastEventId: this.lastEventId,
    });
  }
}

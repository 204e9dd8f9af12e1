/** One Server-Sent Event. `id` is the last event id seen on the stream (events without one inherit it). */
export interface SseEvent {
  id: string;
  event: string;
  data: string;
}

/** An incremental `text/event-stream` parser. */
export interface SseParser {
  /** Feeds a decoded chunk; complete events are dispatched synchronously. */
  push(chunk: string): void;
  /** The last event id buffer (updated by `id:` fields, per the HTML spec). */
  readonly lastEventId: string;
}

// A lone CR at the very end of the buffer may be the first half of a CRLF split across chunks.
const LINE_END = /\r\n|\r(?!$)|\n/;
const FIELD = /^([^:]*):? ?(.*)/s;

/**
 * Parses the `text/event-stream` format as the HTML spec's EventSource does: CRLF, LF or CR line
 * ends, `:` comments, `data:` lines joined with `\n`, `event:` type (default `message`), `id:`
 * without NUL updating the last event id; an event without data is not dispatched; `retry:` is
 * ignored (the client has its own backoff).
 */
export function createSseParser(dispatch: (event: SseEvent) => void, lastEventId = ''): SseParser {
  let buffer = '';
  let data: string[] = [];
  let type = '';
  const line = (text: string): void => {
    if (text === '') {
      if (data.length) dispatch({ id: lastEventId, event: type || 'message', data: data.join('\n') });
      data = [];
      type = '';
      return;
    }
    // The field runs to the first colon (a comment's is empty), the value after it, less one space.
    const [, field, value] = FIELD.exec(text)!;
    if (field === 'data') data.push(value!);
    else if (field === 'event') type = value!;
    else if (field === 'id' && !value!.includes('\0')) lastEventId = value!;
  };
  return {
    push(chunk) {
      buffer += chunk;
      for (let match = LINE_END.exec(buffer); match; match = LINE_END.exec(buffer)) {
        line(buffer.slice(0, match.index));
        buffer = buffer.slice(match.index + match[0].length);
      }
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}

/**
 * Reads a response body into `parser` until the stream ends or `signal` aborts. `onActivity` runs
 * on every chunk (keepalive comments included), so a watchdog can tell a live stream from a dead
 * one. An abort cancels the body here rather than trusting the fetch that made it to: Node 20's
 * fetch can lose its request's signal after a garbage collection, and a read it should have ended
 * then waits forever on a stream the server keeps open.
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  parser: SseParser,
  onActivity: () => void,
  signal: AbortSignal,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  // Left registered: the caller aborts this signal once the stream has ended, however it ended
  // (a cancel of a finished stream does nothing).
  const cancel = () => reader.cancel().catch(() => {});
  signal.addEventListener('abort', cancel);
  if (signal.aborted) cancel();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onActivity();
    parser.push(decoder.decode(value, { stream: true }));
  }
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSseParser, readEventStream, type SseEvent } from '../../src/client/sse.js';

function parse(chunks: string[], lastEventId = '') {
  const events: SseEvent[] = [];
  const parser = createSseParser((event) => events.push(event), lastEventId);
  for (const chunk of chunks) parser.push(chunk);
  return { events, lastEventId: parser.lastEventId };
}

describe('createSseParser', () => {
  it('parses ids, types, multi-line data, comments and a field without a colon', () => {
    const stream =
      'retry: 2000\n\n: keepalive\n\nid: 7\nevent: message\ndata: {"a":\ndata:1}\n\nevent: typing\ndata\n\n';
    expect(parse([stream])).toEqual({
      events: [
        { id: '7', event: 'message', data: '{"a":\n1}' },
        { id: '7', event: 'typing', data: '' },
      ],
      lastEventId: '7',
    });
  });

  it('accepts CRLF, CR and LF line ends, and a CRLF split across chunks', () => {
    expect(parse(['id: 1\r\ndata: a\r', '\n\r', '\ndata: b\r\rdata: c\n\n']).events).toEqual([
      { id: '1', event: 'message', data: 'a' },
      { id: '1', event: 'message', data: 'b' },
      { id: '1', event: 'message', data: 'c' },
    ]);
  });

  it('ignores an id holding NUL, dispatches nothing without data, and keeps an unfinished event', () => {
    expect(parse(['id: 5\n\nid: x\0y\ndata: d\n\ndata: unfinished'], '4')).toEqual({
      events: [{ id: '5', event: 'message', data: 'd' }],
      lastEventId: '5',
    });
  });

  it('gives the same events however the stream is cut into chunks', () => {
    const line = fc.oneof(
      fc.constantFrom('', ': ping', 'event: message', 'event: status', 'retry: 10', 'data'),
      fc.string({ maxLength: 12 }).map((s) => `data: ${s.replace(/[\r\n]/g, '')}`),
      fc.string({ maxLength: 8 }).map((s) => `id: ${s.replace(/[\r\n]/g, '')}`),
    );
    const stream = fc
      .tuple(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n', '\r'))
      .map(([lines, end]) => `${lines.join(end)}${end}${end}`);
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 10 }), (text, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((start, i) => text.slice(start, [...points, text.length][i]));
        expect(parse(chunks)).toEqual(parse([text]));
      }),
    );
  });
});

describe('readEventStream', () => {
  /** A body that delivers `chunks`, then stays open, like a live stream; it records its cancel. */
  function openBody(chunks: string[]) {
    const seen = { cancelled: false };
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      },
      cancel() {
        seen.cancelled = true;
      },
    });
    return { body, seen };
  }

  it('reads events until the signal aborts, then cancels the body itself (a fetch that lost the signal would not)', async () => {
    const { body, seen } = openBody(['id: 1\ndata: a\n\n', ': keepalive\n\n']);
    const events: SseEvent[] = [];
    const parser = createSseParser((event) => events.push(event), '');
    let chunks = 0;
    const abort = new AbortController();
    const reading = readEventStream(
      body,
      parser,
      () => ++chunks === 2 && abort.abort('parked'),
      abort.signal,
    );
    await expect(reading).resolves.toBeUndefined();
    expect(events).toEqual([{ id: '1', event: 'message', data: 'a' }]);
    expect(seen.cancelled).toBe(true);
  });

  it('cancels at once with a signal aborted before reading', async () => {
    const { body, seen } = openBody(['data: a\n\n']);
    const events: SseEvent[] = [];
    await readEventStream(
      body,
      createSseParser((event) => events.push(event), ''),
      () => {},
      AbortSignal.abort('gone'),
    );
    expect(events).toEqual([]);
    expect(seen.cancelled).toBe(true);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VisitorTyping } from '../../../src/http/webchat/index.js';
import type { Message } from '../../../src/model/records.js';
import {
  type ChatFixture,
  connect,
  post,
  type SseEvent,
  say,
  startChat,
  until,
  visitorHeaders,
} from './helpers.js';

let fx: ChatFixture;
beforeEach(async () => {
  fx = await startChat({ keepAliveMs: 50 });
});
afterEach(() => fx.close());

async function send(visitor: string, clientId: string, text: string): Promise<Message> {
  const response = await say(fx, visitor, { clientId, text });
  return ((await response.json()) as { message: Message }).message;
}

const isMessage = (text: string) => (event: SseEvent) =>
  event.event === 'message' && ((event.data as Message).parts[0] as { text?: string }).text === text;

describe('GET /chat/events', () => {
  it('sends ready, then an agent reply to its visitor only', async () => {
    const ann = await send('ann', 'a1', 'Where is my order?');
    await send('bob', 'b1', 'Hi');
    const annStream = await connect(fx, visitorHeaders('ann'));
    const bobStream = await connect(fx, visitorHeaders('bob'));
    expect(annStream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const ready = await annStream.next();
    expect(ready).toMatchObject({ event: 'ready', data: { customerId: ann.customerId } });
    // A fresh stream is told where the log stands, so it can resume before any event arrives.
    const [last] = (await fx.desk.store.readEvents({ limit: 10_000 })).slice(-1);
    expect(ready.id).toBe(last?.cursor);
    await bobStream.next((e) => e.event === 'ready');

    const reply = await fx.desk.reply(ann.conversationId, {
      text: 'On its way',
      author: { type: 'agent', name: 'Sam' },
    });
    const delivered = await annStream.next(isMessage('On its way'));
    expect(delivered.data).toMatchObject({ id: reply.id, direction: 'outbound', author: { name: 'Sam' } });
    expect(delivered.id).toMatch(/^\d+$/);
    const status = await annStream.next((e) => e.event === 'status');
    expect(status.data).toEqual({ messageId: reply.id, status: 'delivered' });

    await send('bob', 'b2', 'still here');
    await bobStream.next(isMessage('still here'));
    expect(bobStream.received.some((e) => JSON.stringify(e.data).includes('On its way'))).toBe(false);
    expect(annStream.received.some((e) => JSON.stringify(e.data).includes('still here'))).toBe(false);
    annStream.close();
    bobStream.close();
  });

  it('follows a visitor whose first message comes after connecting, and sends keepalives', async () => {
    const stream = await connect(fx, visitorHeaders('newcomer'));
    expect((await stream.next()).data).toEqual({ customerId: null });
    const sent = await send('newcomer', 'n1', 'first words');
    expect((await stream.next(isMessage('first words'))).data).toMatchObject({ id: sent.id });
    await until(() => stream.comments.includes('keepalive'));
    stream.close();
  });

  it('resumes after a disconnect with Last-Event-ID: exactly the missed events', async () => {
    const first = await send('ann', 'a1', 'one');
    const stream = await connect(fx, visitorHeaders('ann'));
    await stream.next((e) => e.event === 'ready');
    await fx.desk.reply(first.conversationId, { text: 'two' });
    await stream.next(isMessage('two'));
    const lastSeen = await stream.next((e) => e.event === 'status');
    stream.close();

    await send('ann', 'a3', 'three');
    await send('bob', 'b1', 'other customer');
    await fx.desk.reply(first.conversationId, { text: 'four' });
    await until(async () => (await fx.desk.store.getMessage((await lastReply()).id))?.status === 'delivered');

    const resumed = await connect(fx, { ...visitorHeaders('ann'), 'last-event-id': lastSeen.id! });
    await resumed.next((e) => e.event === 'status');
    const replay = resumed.received.filter((e) => e.event !== 'ready');
    expect(
      replay.map((e) => [e.event, (e.data as Message).parts?.[0] ?? (e.data as { status: string }).status]),
    ).toEqual([
      ['message', { type: 'text', text: 'three' }],
      ['message', { type: 'text', text: 'four' }],
      ['status', 'delivered'],
    ]);
    const ids = replay.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids[0]).toBeGreaterThan(Number(lastSeen.id));
    resumed.close();

    async function lastReply(): Promise<Message> {
      const page = await fx.desk.timeline(first.customerId, { limit: 1 }).page();
      return page.items[0]!;
    }
  });

  it('accepts visitor, token and lastEventId as query parameters (EventSource)', async () => {
    await send('ann', 'a1', 'one');
    const stream = await connect(fx, {}, '?visitor=ann&lastEventId=0');
    await stream.next(isMessage('one'));
    stream.close();
  });
});

describe('typing', () => {
  it('hands a visitor typing signal to onTyping listeners', async () => {
    const message = await send('ann', 'a1', 'hello');
    const signals: VisitorTyping[] = [];
    fx.chat.onTyping((signal) => signals.push(signal));
    const response = await post(fx, '/chat/typing', 'ann', { typing: true });
    expect(response.status).toBe(204);
    expect(signals).toEqual([
      {
        visitorId: 'ann',
        customerId: message.customerId,
        conversationId: message.conversationId,
        typing: true,
      },
    ]);
    expect((await post(fx, '/chat/typing', 'ann', { typing: 'yes' })).status).toBe(400);
  });

  it("shows an agent's typing to the conversation's visitor only", async () => {
    const message = await send('ann', 'a1', 'hello');
    await send('bob', 'b1', 'hi');
    const ann = await connect(fx, visitorHeaders('ann'));
    const bob = await connect(fx, visitorHeaders('bob'));
    await ann.next((e) => e.event === 'ready');
    await bob.next((e) => e.event === 'ready');
    await fx.chat.agentTyping(message.conversationId, true, { type: 'agent', id: 'agent-7', name: 'Sam' });
    const typing = await ann.next((e) => e.event === 'typing');
    expect(typing).toEqual({
      event: 'typing',
      data: { typing: true, author: { type: 'agent', name: 'Sam' } },
    });
    await send('bob', 'b2', 'marker');
    await bob.next(isMessage('marker'));
    expect(bob.received.some((e) => e.event === 'typing')).toBe(false);
    ann.close();
    bob.close();
  });
});

describe('POST /chat/read', () => {
  it('moves the agent message and the earlier ones to read', async () => {
    const first = await send('ann', 'a1', 'hello');
    const r1 = await fx.desk.reply(first.conversationId, { text: 'r1' });
    const r2 = await fx.desk.reply(first.conversationId, { text: 'r2' });
    await until(async () => (await fx.desk.store.getMessage(r2.id))?.status === 'delivered');
    const stream = await connect(fx, visitorHeaders('ann'));
    await stream.next((e) => e.event === 'ready');
    expect((await post(fx, '/chat/read', 'ann', { messageId: r2.id })).status).toBe(204);
    expect((await fx.desk.store.getMessage(r1.id))?.status).toBe('read');
    expect((await fx.desk.store.getMessage(r2.id))?.status).toBe('read');
    const statuses = [
      await stream.next((e) => e.event === 'status'),
      await stream.next((e) => e.event === 'status'),
    ];
    expect(statuses.map((e) => e.data)).toEqual([
      { messageId: r2.id, status: 'read' },
      { messageId: r1.id, status: 'read' },
    ]);
    stream.close();
  });

  it("answers 404 for another customer's message and changes nothing", async () => {
    const first = await send('ann', 'a1', 'hello');
    const reply = await fx.desk.reply(first.conversationId, { text: 'private' });
    await until(async () => (await fx.desk.store.getMessage(reply.id))?.status === 'delivered');
    await send('bob', 'b1', 'hi');
    expect((await post(fx, '/chat/read', 'bob', { messageId: reply.id })).status).toBe(404);
    expect((await fx.desk.store.getMessage(reply.id))?.status).toBe('delivered');
  });
});

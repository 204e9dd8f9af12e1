import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/model/errors.js';
import { storedMessages } from './chat-server.js';
import { connected, next, record } from './events.js';
import { useChatServer } from './fixture.js';

const chat = useChatServer();
const open = chat.open;

const sendBodies = () =>
  chat.server.requests
    .filter((r) => r.method === 'POST' && r.path === '/chat/messages')
    .map((r) => ({ ...(JSON.parse(r.body) as { clientId: string; text?: string }), status: r.status }));

describe('the outbox', () => {
  it('keeps three messages typed while the server is down and delivers each once, in order, when it returns', async () => {
    const client = open();
    const log = record(client);
    await connected(client);
    await chat.server.stop();
    await connected(client, 'offline');

    const queued = [await client.send('one'), await client.send('two'), await client.send('three')];
    expect(queued.map((m) => [m.pending, m.status, m.parts])).toEqual([
      [true, 'queued', [{ type: 'text', text: 'one' }]],
      [true, 'queued', [{ type: 'text', text: 'two' }]],
      [true, 'queued', [{ type: 'text', text: 'three' }]],
    ]);
    expect((await client.pending()).map((m) => m.id)).toEqual(queued.map((m) => m.id));

    const third = next(client, 'message', (m) => !m.pending && m.externalId === queued[2]!.id);
    await chat.server.start();
    const arrived = await third;

    const stored = await storedMessages(chat.server.desk, arrived.customerId!);
    expect(stored.map((m) => [m.externalId, m.parts])).toEqual(queued.map((m) => [m.id, m.parts]));
    expect(sendBodies().map((b) => [b.clientId, b.text, b.status])).toEqual([
      [queued[0]!.id, 'one', 201],
      [queued[1]!.id, 'two', 201],
      [queued[2]!.id, 'three', 201],
    ]);
    expect(await client.pending()).toEqual([]);
    const serverCopies = log.messages.filter((m) => !m.pending);
    expect(serverCopies.map((m) => m.externalId)).toEqual(queued.map((m) => m.id));
    expect(log.errors).toEqual([]);
  });

  it('retries a send whose answer was lost with the same clientId, and the server stores it once', async () => {
    const client = open();
    await connected(client);
    chat.server.loseNextSendAnswer();
    const arrives = next(client, 'message', (m) => !m.pending);
    const queued = await client.send('only once');
    expect(queued.pending).toBe(true);
    const delivered = await arrives;
    expect(delivered.externalId).toBe(queued.id);
    await client.flush();
    expect(sendBodies().map((b) => [b.clientId, b.status])).toEqual([
      [queued.id, 'dropped'],
      [queued.id, 200],
    ]);
    const stored = await storedMessages(chat.server.desk, delivered.customerId!);
    expect(stored.map((m) => [m.id, m.externalId])).toEqual([[delivered.id, queued.id]]);
    expect(await client.pending()).toEqual([]);
  });

  it('resolves with the server copy when online, and emits it once though the stream echoes it', async () => {
    const client = open();
    const log = record(client);
    await connected(client);
    const sent = await client.send('hello');
    expect(sent).toMatchObject({ direction: 'inbound', channel: 'webchat', externalId: expect.any(String) });
    expect(sent.pending).toBeUndefined();
    // A later agent reply arrives after the echo would have: the echo was swallowed by then.
    const reply = next(client, 'message', (m) => m.direction === 'outbound');
    await chat.server.desk.reply(sent.conversationId!, { text: 'Hi!', author: { type: 'agent' } });
    await reply;
    expect(log.messages.filter((m) => m.id === sent.id)).toHaveLength(1);
    expect(log.messages.map((m) => m.pending ?? false)).toEqual([true, false, false]);
  });

  it('drops a message the server refuses (400) from the outbox and rejects with a DeliveryError naming the field', async () => {
    const client = open();
    await connected(client);
    const failed = next(client, 'status', (s) => s.status === 'failed');
    const error = await client.send([{ type: 'text', text: '' }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ status: 400, retryable: false, providerCode: 'VALIDATION' });
    expect((error as Error).message).toMatch(/^sending a message failed with status 400: .*parts/);
    expect((await failed).messageId).toEqual(expect.any(String));
    expect(await client.pending()).toEqual([]);
  });

  it('refuses empty input before queueing anything', async () => {
    const client = open();
    await expect(client.send('   ')).rejects.toMatchObject({ name: 'ValidationError', field: 'text' });
    await expect(client.send([])).rejects.toMatchObject({ name: 'ValidationError', field: 'parts' });
    expect(await client.pending()).toEqual([]);
  });
});

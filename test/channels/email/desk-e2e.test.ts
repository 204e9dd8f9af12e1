import { afterEach, describe, expect, it } from 'vitest';
import { postmarkInbound } from '../../../src/channels/email/index.js';
import { createWebhookHandler } from '../../../src/http/handler.js';
import { createDesk } from '../../../src/index.js';
import { memoryStore } from '../../../src/stores/memory/index.js';
import { fixture, startServer } from './helpers.js';

let server: Awaited<ReturnType<typeof startServer>> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const authorization = `Basic ${Buffer.from('hook:pw').toString('base64')}`;

function webhook(body: string) {
  return new Request('https://desk.example.com/webhooks/postmark', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body,
  });
}

describe('postmark through a real desk (memory store, webhook handler, outbox)', () => {
  it('threads an inbound email, the agent reply and the customer answer into one conversation', async () => {
    server = await startServer(() => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"ErrorCode":0}',
    }));
    const adapter = postmarkInbound({
      basicAuth: { username: 'hook', password: 'pw' },
      serverToken: 'pm-token',
      from: { address: 'support@example.com', name: 'Example Support' },
      replyTo: 'reply+{conversationId}@inbound.example.com',
      baseUrl: server.url,
      retries: 0,
    });
    const desk = createDesk({ store: memoryStore(), channels: [adapter], outbox: { autoStart: false } });
    const handler = createWebhookHandler(desk);

    const inbound = fixture('postmark-inbound-reply.json', 'utf8');
    expect((await handler(webhook(inbound))).status).toBe(200);
    expect((await handler(webhook(inbound))).status).toBe(200); // a retried webhook stores nothing new
    const { items: conversations } = await desk.conversations.list();
    expect(conversations).toHaveLength(1);
    const conversation = conversations[0]!;
    expect(conversation.subject).toBe('Re: Router keeps disconnecting');

    const sent = await desk.reply(conversation.id, {
      text: 'Yes: Settings > Billing.',
      author: { type: 'agent', id: 'a1' },
    });
    await desk.outbox.flush();
    expect(server.requests).toHaveLength(1);
    const request = JSON.parse(server.requests[0]!.body);
    expect(request.Subject).toBe('Re: Router keeps disconnecting');
    expect(request.ReplyTo).toBe(`reply+${conversation.id}@inbound.example.com`);
    expect(request.Headers).toContainEqual({ Name: 'In-Reply-To', Value: '<CAF=reply.4471@mail.gmail.com>' });
    const ourId = request.Headers.find((h: { Name: string }) => h.Name === 'Message-ID').Value;
    expect(ourId).toBe(`<threadline-${sent.id}@example.com>`);

    const answer = JSON.parse(inbound);
    answer.Headers = answer.Headers.map((h: { Name: string; Value: string }) =>
      h.Name === 'Message-ID'
        ? { ...h, Value: '<CAF=third@mail.gmail.com>' }
        : h.Name === 'In-Reply-To'
          ? { ...h, Value: ourId }
          : h,
    );
    expect((await handler(webhook(JSON.stringify(answer)))).status).toBe(200);
    const messages = [];
    for await (const message of desk.conversations.messages(conversation.id)) messages.push(message);
    expect(messages.map((m) => [m.direction, m.externalId])).toEqual(
      expect.arrayContaining([
        ['inbound', 'CAF=reply.4471@mail.gmail.com'],
        ['outbound', `threadline-${sent.id}@example.com`],
        ['inbound', 'CAF=third@mail.gmail.com'],
      ]),
    );
    expect(messages).toHaveLength(3);

    // The agent's reply copied back to the support inbox (a Bcc, a forwarding rule): an echo of
    // the stored outbound message, never a customer's message from support@example.com.
    const copy = JSON.parse(inbound);
    copy.From = 'support@example.com';
    copy.FromFull = { Email: 'Support@Example.com', Name: 'Example Support', MailboxHash: '' };
    copy.Headers = copy.Headers.map((h: { Name: string; Value: string }) =>
      h.Name === 'Message-ID' ? { ...h, Value: ourId } : h,
    );
    const before = (await desk.store.readEvents({ limit: 1000 })).length;
    expect((await handler(webhook(JSON.stringify(copy)))).status).toBe(200);
    copy.Headers = copy.Headers.filter((h: { Name: string }) => h.Name !== 'Message-ID');
    expect((await handler(webhook(JSON.stringify(copy)))).status).toBe(200);
    expect((await desk.store.readEvents({ limit: 1000 })).length).toBe(before);
    expect((await desk.conversations.list()).items).toHaveLength(1);
    expect(await desk.store.findCustomerByIdentity(desk.brand, 'email:support@example.com')).toBeUndefined();
    await desk.close();
  });
});

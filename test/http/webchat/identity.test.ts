import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signIdentityToken } from '../../../src/http/token.js';
import type { Message } from '../../../src/model/records.js';
import { eventCount } from '../helpers.js';
import { type ChatFixture, connect, SECRET, say, startChat, visitorHeaders } from './helpers.js';

let fx: ChatFixture;
beforeEach(async () => {
  fx = await startChat();
});
afterEach(() => fx.close());

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/** A customer known by a verified email (an earlier inbound email with SPF pass). */
async function emailCustomer() {
  return fx.desk.receive({
    channel: 'postmark',
    from: { kind: 'email', value: 'ann@example.com', verified: true },
    externalId: '<earlier@example.com>',
    text: 'My router is broken',
  });
}

/** Ann writes by email; the stream must carry that message as her customer's, then closes. */
async function expectEmailOnStream(stream: Awaited<ReturnType<typeof connect>>, customerId: string) {
  await fx.desk.receive({
    channel: 'postmark',
    from: { kind: 'email', value: 'ann@example.com', verified: true },
    externalId: '<later@example.com>',
    text: 'sent by email',
  });
  const email = await stream.next(
    (e) => e.event === 'message' && JSON.stringify(e.data).includes('sent by email'),
  );
  expect(email.data).toMatchObject({ channel: 'postmark', customerId });
  stream.close();
}

describe('identity tokens', () => {
  it('a valid token verifies the email and merges the visitor into the email customer', async () => {
    const known = await emailCustomer();
    await say(fx, 'ann-browser', { clientId: 'c1', text: 'anonymous hello' });
    const anonymous = await fx.desk.store.findCustomerByIdentity('default', 'webchat:ann-browser');
    expect(anonymous!.id).not.toBe(known.customer.id);

    const token = await signIdentityToken(
      { sub: 'user-42', email: 'Ann@Example.com', name: 'Ann', exp: inAnHour() },
      SECRET,
    );
    const response = await say(fx, 'ann-browser', { clientId: 'c2', text: 'logged in now' }, token);
    expect(response.status).toBe(201);
    const { message } = (await response.json()) as { message: Message };
    expect(message.customerId).toBe(known.customer.id);

    const customer = await fx.desk.customers.get(known.customer.id);
    const identities = customer.identities.map(({ kind, value, verified }) => ({ kind, value, verified }));
    expect(identities).toEqual(
      expect.arrayContaining([
        { kind: 'email', value: 'ann@example.com', verified: true },
        { kind: 'external', value: 'user-42', verified: true },
        { kind: 'webchat', value: 'ann-browser', verified: false },
      ]),
    );
    expect((await fx.desk.customers.get(anonymous!.id)).mergedInto).toBe(known.customer.id);

    const history = await fetch(fx.url('/chat/messages'), { headers: visitorHeaders('ann-browser', token) });
    const texts = ((await history.json()) as { items: Message[] }).items.map(
      (m) => (m.parts[0] as { text: string }).text,
    );
    expect(texts).toEqual(['logged in now', 'anonymous hello', 'My router is broken']);
  });

  it('after a merge, the open event stream follows the kept customer across channels', async () => {
    const known = await emailCustomer();
    const sent = await say(fx, 'ann-browser', { clientId: 'c1', text: 'anonymous hello' });
    const { message } = (await sent.json()) as { message: Message };
    const stream = await connect(fx, visitorHeaders('ann-browser'));
    const ready = await stream.next();
    expect(ready.data).toEqual({ customerId: message.customerId });
    // An agent merges the visitor into the customer known by email (no login: no token needed).
    await fx.desk.merge(known.customer.id, message.customerId);
    await expectEmailOnStream(stream, known.customer.id);
  });

  it("a stream opened with the token follows the user's customer across channels", async () => {
    const known = await emailCustomer();
    await say(fx, 'ann-browser', { clientId: 'c1', text: 'anonymous hello' });
    const token = await signIdentityToken(
      { sub: 'user-42', email: 'ann@example.com', exp: inAnHour() },
      SECRET,
    );
    const stream = await connect(fx, visitorHeaders('ann-browser', token));
    expect((await stream.next()).data).toEqual({ customerId: known.customer.id });
    await expectEmailOnStream(stream, known.customer.id);
  });

  it('a token on a first visit joins the email customer before the first message', async () => {
    const known = await emailCustomer();
    const token = await signIdentityToken(
      { sub: 'user-42', email: 'ann@example.com', exp: inAnHour() },
      SECRET,
    );
    const stream = await connect(fx, {}, `?visitor=fresh&token=${token}`);
    expect((await stream.next()).data).toEqual({ customerId: known.customer.id });
    stream.close();
    const response = await say(fx, 'fresh', { clientId: 'c1', text: 'hi' }, token);
    const { message } = (await response.json()) as { message: Message };
    expect(message.conversationId).toBe(known.conversation.id);
  });

  it('a token for an unknown user attaches its identities with the first message', async () => {
    const token = await signIdentityToken(
      { sub: 'user-7', email: 'new@example.com', name: 'Neo', exp: inAnHour() },
      SECRET,
    );
    const response = await say(fx, 'v7', { clientId: 'c1', text: 'hi' }, token);
    const { message } = (await response.json()) as { message: Message };
    const customer = await fx.desk.customers.get(message.customerId);
    expect(customer.displayName).toBe('Neo');
    expect(customer.identities.map((i) => `${i.kind}:${i.value}:${i.verified}`).sort()).toEqual([
      'email:new@example.com:true',
      'external:user-7:true',
      'webchat:v7:false',
    ]);
  });

  const refusals: [string, () => Promise<string>][] = [
    [
      'tampered',
      async () => {
        const token = await signIdentityToken(
          { sub: 'user-1', email: 'victim@example.com', exp: inAnHour() },
          SECRET,
        );
        const [, signature] = token.split('.');
        const forged = btoa(JSON.stringify({ sub: 'user-1', email: 'ann@example.com', exp: inAnHour() }))
          .replace(/=+$/, '')
          .replace(/\+/g, '-')
          .replace(/\//g, '_');
        return `${forged}.${signature}`;
      },
    ],
    [
      'expired',
      () =>
        signIdentityToken(
          { sub: 'user-1', email: 'ann@example.com', exp: Math.floor(Date.now() / 1000) - 1 },
          SECRET,
        ),
    ],
    [
      'unsigned',
      async () =>
        btoa(JSON.stringify({ sub: 'user-1', email: 'ann@example.com', exp: inAnHour() })).replace(/=+$/, ''),
    ],
    [
      'signed with another secret',
      () =>
        signIdentityToken(
          { sub: 'user-1', email: 'ann@example.com', exp: inAnHour() },
          'another-secret-0123456789',
        ),
    ],
  ];

  for (const [name, make] of refusals) {
    it(`a ${name} token is refused with 401 and attaches no identity`, async () => {
      const known = await emailCustomer();
      const before = await eventCount(fx.desk);
      const token = await make();
      const response = await say(fx, 'mallory', { clientId: 'c1', text: 'give me the history' }, token);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
      const history = await fetch(fx.url('/chat/messages'), { headers: visitorHeaders('mallory', token) });
      expect(history.status).toBe(401);
      const stream = await fetch(fx.url(`/chat/events?visitor=mallory&token=${encodeURIComponent(token)}`));
      expect(stream.status).toBe(401);
      expect(await eventCount(fx.desk)).toBe(before);
      expect(await fx.desk.store.findCustomerByIdentity('default', 'webchat:mallory')).toBeUndefined();
      expect((await fx.desk.customers.get(known.customer.id)).identities).toHaveLength(1);
    });
  }

  it('refuses a token when no identitySecret is configured', async () => {
    await fx.close();
    fx = await startChat({ identitySecret: undefined });
    const token = await signIdentityToken({ sub: 'u', exp: inAnHour() }, SECRET);
    const response = await say(fx, 'v', { clientId: 'c', text: 'x' }, token);
    expect(response.status).toBe(401);
  });
});

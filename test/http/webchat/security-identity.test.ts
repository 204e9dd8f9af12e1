/**
 * Security of visitor identities: a visitor id that a token signed in is no credential on its own,
 * streams do not outlive their login, and a token is for one brand.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { signIdentityToken, verifyIdentityToken } from '../../../src/http/token.js';
import { SignatureError } from '../../../src/model/errors.js';
import type { Message } from '../../../src/model/records.js';
import {
  type ChatFixture,
  connect,
  post,
  SECRET,
  type SseEvent,
  say,
  startChat,
  visitorHeaders,
} from './helpers.js';

let fx: ChatFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const login = (sub: string, extra: { brand?: string } = {}) =>
  signIdentityToken({ sub, email: `${sub}@example.com`, exp: inAnHour(), ...extra }, SECRET);
const mentions = (text: string) => (event: SseEvent) => JSON.stringify(event.data).includes(text);

/** Ann's email customer, known by a verified address, with a private email in its history. */
async function annByEmail() {
  return fx!.desk.receive({
    channel: 'postmark',
    from: { kind: 'email', value: 'ann@example.com', verified: true },
    externalId: '<private@example.com>',
    text: 'my card ends in 4242',
  });
}

async function codeOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

describe('a visitor id that signed in', () => {
  it("without the user's token reads, sends, streams, types and reads receipts nothing (401)", async () => {
    fx = await startChat();
    await annByEmail();
    const signedIn = await say(fx, 'ann-laptop', { clientId: 'c1', text: 'hi' }, await login('ann'));
    expect(signedIn.status).toBe(201);
    const reply = await fx.desk.reply(
      ((await signedIn.json()) as { message: Message }).message.conversationId,
      {
        text: 'Hello Ann',
        author: { type: 'agent' },
      },
    );

    // The token is gone (logout, expiry, the next person at a shared computer): the id alone.
    const history = await fetch(fx.url('/chat/messages'), { headers: visitorHeaders('ann-laptop') });
    expect(history.status).toBe(401);
    expect(await codeOf(history)).toBe('UNAUTHORIZED');
    expect((await say(fx, 'ann-laptop', { clientId: 'c2', text: 'who am I?' })).status).toBe(401);
    expect((await post(fx, '/chat/read', 'ann-laptop', { messageId: reply.id })).status).toBe(401);
    expect((await post(fx, '/chat/typing', 'ann-laptop', { typing: true })).status).toBe(401);
    const stream = await connect(fx, visitorHeaders('ann-laptop'));
    expect(stream.status).toBe(401);
    stream.close();
    const byQuery = await connect(fx, {}, '?visitor=ann-laptop');
    expect(byQuery.status).toBe(401);
    byQuery.close();

    // With the token, all of it works.
    const token = await login('ann');
    const withToken = await fetch(fx.url('/chat/messages'), { headers: visitorHeaders('ann-laptop', token) });
    expect(withToken.status).toBe(200);
    expect(JSON.stringify(await withToken.json())).toContain('4242');
  });

  it('an anonymous visitor is still served without a token', async () => {
    fx = await startChat();
    expect((await say(fx, 'anon', { clientId: 'c1', text: 'hi' })).status).toBe(201);
    const history = await fetch(fx.url('/chat/messages'), { headers: visitorHeaders('anon') });
    expect(history.status).toBe(200);
  });

  it("a stream opened while the visitor was anonymous ends when it signs in: it never shows the user's history", async () => {
    fx = await startChat();
    await annByEmail();
    await say(fx, 'shared-pc', { clientId: 'c1', text: 'anonymous hello' });
    // Someone who learned the anonymous id listens, waiting for a login.
    const eavesdropper = await connect(fx, visitorHeaders('shared-pc'));
    await eavesdropper.next((e) => e.event === 'ready');
    expect(
      (await say(fx, 'shared-pc', { clientId: 'c2', text: 'logging in' }, await login('ann'))).status,
    ).toBe(201);
    await fx.desk.receive({
      channel: 'postmark',
      from: { kind: 'email', value: 'ann@example.com', verified: true },
      externalId: '<later@example.com>',
      text: 'new password reset link',
    });
    const token = await login('ann');
    const owner = await connect(fx, visitorHeaders('shared-pc', token));
    await owner.next((e) => e.event === 'ready');
    await fx.desk.receive({
      channel: 'postmark',
      from: { kind: 'email', value: 'ann@example.com', verified: true },
      externalId: '<latest@example.com>',
      text: 'your statement',
    });
    await owner.next(mentions('your statement'));
    expect(eavesdropper.received.some(mentions('new password reset link'))).toBe(false);
    expect(eavesdropper.received.some(mentions('your statement'))).toBe(false);
    owner.close();
    eavesdropper.close();
  });

  it('a stream opened with a token ends when the token expires', async () => {
    const exp = inAnHour();
    let now = exp * 1000 - 200; // 200 ms before the token expires
    fx = await startChat({ clock: () => now });
    const token = await signIdentityToken({ sub: 'ann', exp }, SECRET, { now });
    const stream = await connect(fx, visitorHeaders('ann-laptop', token));
    expect(stream.status).toBe(200);
    await stream.next((e) => e.event === 'ready');
    now = exp * 1000;
    const ended = await Promise.race([
      stream.done.then(() => 'ended'),
      new Promise((resolve) => setTimeout(() => resolve('still open'), 2000)),
    ]);
    expect(ended).toBe('ended');
    // And reconnecting with it is refused.
    const again = await connect(fx, visitorHeaders('ann-laptop', token));
    expect(again.status).toBe(401);
    again.close();
  });
});

describe('a token is for one brand', () => {
  it("a token naming another brand is refused (401) and attaches nothing to this brand's user", async () => {
    fx = await startChat({ brand: 'bank' });
    const before = await fx.desk.store.findCustomerByIdentity('bank', 'external:42');
    expect(before).toBeUndefined();
    const forShop = await login('42', { brand: 'shop' });
    const response = await say(fx, 'v1', { clientId: 'c1', text: 'show me account 42' }, forShop);
    expect(response.status).toBe(401);
    expect(await fx.desk.store.findCustomerByIdentity('bank', 'external:42')).toBeUndefined();
    const forBank = await login('42', { brand: 'bank' });
    expect((await say(fx, 'v1', { clientId: 'c1', text: 'hello' }, forBank)).status).toBe(201);
  });

  it('verifyIdentityToken refuses a token for another brand and accepts its own', async () => {
    const token = await signIdentityToken({ sub: 'u', exp: inAnHour(), brand: 'shop' }, SECRET);
    await expect(verifyIdentityToken(token, SECRET, { brand: 'bank' })).rejects.toThrow(SignatureError);
    await expect(verifyIdentityToken(token, SECRET, { brand: 'shop' })).resolves.toMatchObject({
      sub: 'u',
      brand: 'shop',
    });
  });
});

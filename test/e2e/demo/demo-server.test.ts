import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TWILIO } from '../../../examples/demo/config.js';
import { type RunningDemo, startDemo } from '../../../examples/demo/server.js';
import type { SinkDelivery } from '../../../examples/demo/sink.js';
import { call, conversations, eventually, view } from './harness.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('demo server over HTTP (simulator -> signed webhooks -> desk -> sink)', () => {
  let demo: RunningDemo;
  let base: string;
  beforeAll(async () => {
    demo = await startDemo({ port: 0, memory: true });
    base = demo.url;
  });
  afterAll(() => demo?.close());

  it('an SMS reply goes through the Twilio sink exactly as sent, and its status callback marks it delivered', async () => {
    await call(base, '/api/simulate/sms', { text: 'Where is my parcel?' });
    const [row] = await conversations(base);
    const id = row!.conversation.id;
    expect((await view(base, id)).defaultChannel).toBe('sms');
    const { message } = await call<{ message: { id: string } }>(base, `/api/conversations/${id}/reply`, {
      text: 'It ships today.',
      channel: 'sms',
    });
    const sink = await call<SinkDelivery[]>(base, '/api/sink');
    expect(sink).toEqual([
      expect.objectContaining({
        provider: 'twilio',
        kind: 'sms',
        from: TWILIO.number,
        to: '+14155550100',
        text: 'It ships today.',
        headers: { 'I-Twilio-Idempotency-Token': message.id },
      }),
    ]);
    await eventually(async () => {
      const { messages } = await view(base, id);
      return messages.find((m) => m.direction === 'outbound')?.status === 'delivered' ? true : undefined;
    }, 'the signed status callback marks the reply delivered');
  });

  it('an email reply carries threading headers, and the customer answer threads into the same conversation', async () => {
    await call(base, '/api/simulate/email', {
      from: 'bob@example.com',
      name: 'Bob Stone',
      text: 'Invoice please.',
    });
    const bob = (await conversations(base)).find((row) => row.customer.displayName === 'Bob Stone')!;
    const id = bob.conversation.id;
    await call(base, `/api/conversations/${id}/reply`, { text: 'Attached.', channel: 'email' });
    const sent = await eventually(
      async () => (await call<SinkDelivery[]>(base, '/api/sink')).find((d) => d.kind === 'email'),
      'the email reaches the Postmark sink',
    );
    expect(sent).toMatchObject({
      to: 'bob@example.com',
      text: 'Attached.',
      from: '"Demo Shop Support" <support@shop.example>',
    });
    expect(sent.headers['Reply-To']).toBe(`reply+${id}@inbound.shop.example`);
    expect(sent.headers['Message-ID']).toMatch(/^<threadline-.+@shop\.example>$/);
    await call(base, '/api/simulate/email', { from: 'bob@example.com', text: 'Got it, thanks!' });
    const { messages } = await view(base, id);
    expect(messages.map((m) => m.direction)).toEqual(['inbound', 'outbound', 'inbound']);
    expect(messages[2]).toMatchObject({
      channel: 'email',
      direction: 'inbound',
      replyTo: sent.headers['Message-ID']!.slice(1, -1),
    });
  });

  it('a webhook with a forged Twilio signature is refused and stores nothing', async () => {
    const before = await conversations(base);
    const response = await fetch(`${base}webhooks/sms`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': 'Zm9yZ2VkIHNpZ25hdHVyZQ==',
      },
      body: new URLSearchParams({
        From: '+14155550177',
        To: TWILIO.number,
        Body: 'forged',
        MessageSid: 'SMforged',
        AccountSid: TWILIO.accountSid,
      }).toString(),
    });
    expect(response.status).toBe(401);
    expect(await conversations(base)).toEqual(before);
  });

  it("a voice call record and its transcript land on the caller's timeline", async () => {
    await call(base, '/api/simulate/voice', {
      from: '+14155550123',
      text: 'Please call me back about the return.',
    });
    const row = (await conversations(base)).find((r) =>
      r.customer.identities.some((i) => i.value === '+14155550123'),
    )!;
    const { messages } = await view(base, row.conversation.id);
    expect(messages.map((m) => [m.channel, m.parts[0]!.type])).toEqual([
      ['voice', 'call'],
      ['voice', 'call'],
    ]);
    expect(messages[1]!.parts[0]!.transcript).toBe('Please call me back about the return.');
  });

  it('an agent-linked email that another customer owns only suggests a merge; accepting merges them', async () => {
    await call(base, '/api/simulate/sms', {
      from: '+14155550188',
      text: 'Hi, it is Bob from my other phone.',
    });
    const stranger = (await conversations(base)).find((r) =>
      r.customer.identities.some((i) => i.value === '+14155550188'),
    )!;
    await call(base, `/api/customers/${stranger.customer.id}/identities`, {
      kind: 'email',
      value: 'bob@example.com',
    });
    const [suggestion] = await call<{ id: string; identity: { value: string } }[]>(
      base,
      '/api/merge-suggestions',
    );
    expect(suggestion?.identity.value).toBe('bob@example.com');
    await call(base, `/api/merge-suggestions/${suggestion!.id}/accept`, {});
    expect(await call(base, '/api/merge-suggestions')).toEqual([]);
    const merged = (await conversations(base)).filter((r) =>
      r.customer.identities.some((i) => i.value === 'bob@example.com'),
    );
    expect(new Set(merged.map((r) => r.customer.id)).size).toBe(1);
    expect(merged[0]!.customer.identities.map((i) => i.value)).toContain('+14155550188');
  });
});

describe('the demo command', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('starts with --memory --port 0, prints its URL and serves the shop, the inbox and the widget', async () => {
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'examples/demo/server.ts', '--memory', '--port', '0'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /running at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
        if (match) resolve(match[1]!);
      });
      child!.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child!.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
    });
    const shop = await fetch(url);
    expect(await shop.text()).toContain('<threadline-chat endpoint="/chat"');
    expect((await fetch(`${url}inbox`)).status).toBe(200);
    const widget = await fetch(`${url}widget.js`);
    expect(widget.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await widget.text()).toContain('threadline-chat');
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
  }, 60_000);
});

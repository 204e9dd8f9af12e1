import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { slack, slackSignature } from '../../../src/channels/slack/index.js';
import type { RawRequest } from '../../../src/core/channel.js';
import { SignatureError, ValidationError } from '../../../src/model/errors.js';
import { InboundMessage } from '../../../src/model/inbound.js';
import { signatureOracle } from './signed-request.js';

// Slack's published example ("Verifying requests from Slack", docs.slack.dev/authentication/verifying-requests-from-slack/).
const published = {
  signingSecret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  body:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
    '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
    '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};

const at = (seconds: number) => () => seconds * 1000;
const adapter = slack({
  signingSecret: published.signingSecret,
  botToken: 'xoxb-test',
  clock: at(1531420618 + 60),
});

function request(body: string, headers: Record<string, string | undefined>): RawRequest {
  const defined = Object.fromEntries(
    Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return { method: 'POST', url: 'https://host.example/webhooks/slack', headers: defined, body };
}

const signed = (body: string, signature = published.signature, timestamp = published.timestamp) =>
  request(body, { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp });

describe('slack verify', () => {
  it("reproduces Slack's published signature vector", async () => {
    expect(await slackSignature(published.signingSecret, published.timestamp, published.body)).toBe(
      published.signature,
    );
    await expect(adapter.verify(signed(published.body))).resolves.toBeUndefined();
  });

  it('rejects a timestamp outside the replay window even with a valid signature', async () => {
    const late = slack({
      signingSecret: published.signingSecret,
      botToken: 'xoxb-test',
      clock: at(1531420618 + 301),
    });
    await expect(late.verify(signed(published.body))).rejects.toThrow(/replay window/);
    const early = slack({
      signingSecret: published.signingSecret,
      botToken: 'xoxb-test',
      clock: at(1531420618 - 301),
    });
    await expect(early.verify(signed(published.body))).rejects.toBeInstanceOf(SignatureError);
    const wide = slack({
      signingSecret: published.signingSecret,
      botToken: 'x',
      replayWindowSec: 600,
      clock: at(1531420618 + 400),
    });
    await expect(wide.verify(signed(published.body))).resolves.toBeUndefined();
  });

  it('rejects a tampered body, a wrong secret and an uppercase signature', async () => {
    await expect(adapter.verify(signed(published.body.replace('roadrunner', 'roadrunnes')))).rejects.toThrow(
      /does not match/,
    );
    const other = slack({ signingSecret: 'another-secret', botToken: 'xoxb-test', clock: at(1531420618) });
    await expect(other.verify(signed(published.body))).rejects.toBeInstanceOf(SignatureError);
    await expect(
      adapter.verify(signed(published.body, published.signature.toUpperCase())),
    ).rejects.toBeInstanceOf(SignatureError);
  });

  it.each([
    ['no signature', { 'x-slack-request-timestamp': published.timestamp }],
    ['no timestamp', { 'x-slack-signature': published.signature }],
    [
      'a non-numeric timestamp',
      { 'x-slack-signature': published.signature, 'x-slack-request-timestamp': '1531420618.5' },
    ],
    ['no headers', {}],
  ])('rejects a request with %s', async (_name, headers) => {
    await expect(adapter.verify(request(published.body, headers))).rejects.toBeInstanceOf(SignatureError);
  });

  it('rejects malformed options at construction', () => {
    expect(() => slack({ signingSecret: '', botToken: 'xoxb' })).toThrow(ValidationError);
    expect(() => slack({ signingSecret: 's', botToken: 'xoxb', replayWindowSec: -1 })).toThrow(
      /replayWindowSec/,
    );
  });
});

describe('slack published samples', () => {
  const samples = path.resolve(import.meta.dirname, '../../../../shared/provider-samples/slack-events');
  const present = existsSync(samples);
  if (!present)
    console.warn(`!!! provider samples not found at ${samples}: skipping the published-sample check`);

  it.skipIf(!present)(
    'every published event body verifies (vectors.json and node:crypto agree) and parses',
    async () => {
      const vectors = JSON.parse(readFileSync(path.join(samples, 'vectors.json'), 'utf8')) as {
        derived_not_published: {
          vectors: { file: string; signingSecret: string; timestamp: string; expectedSignature: string }[];
        };
      };
      const files = readdirSync(samples).filter((file) => file.endsWith('.json') && file !== 'vectors.json');
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const body = readFileSync(path.join(samples, file), 'utf8');
        const vector = vectors.derived_not_published.vectors.find((v) => v.file.endsWith(`/${file}`));
        const signature = signatureOracle(published.signingSecret, published.timestamp, body);
        if (vector) expect(signature, file).toBe(vector.expectedSignature);
        const raw = signed(body, signature);
        await adapter.verify(raw);
        const events = await adapter.parse(raw);
        for (const event of events)
          if (event.type === 'message') expect(InboundMessage.safeParse(event.message).success).toBe(true);
        const messages = events.filter((event) => event.type === 'message');
        expect(messages.length, file).toBe(file === 'url_verification.json' ? 0 : 1);
      }
    },
  );
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  signedUrlCandidates,
  twilioSignature,
  twilioSms,
  twilioVoice,
} from '../../../src/channels/twilio/index.js';
import type { RawRequest } from '../../../src/core/channel.js';
import { SignatureError } from '../../../src/model/errors.js';
import { ACCOUNT_SID, AUTH_TOKEN, fixture, sharedSamples, signedRequest, WEBHOOK_URL } from './helpers.js';

// Twilio's published example ("Webhooks security" page; also twilio-node's validation spec).
const DOCS_TOKEN = '12345';
const DOCS_URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const DOCS_PARAMS =
  'CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212';
const DOCS_SIGNATURE = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';

const docsAdapter = () => twilioSms({ accountSid: ACCOUNT_SID, authToken: DOCS_TOKEN, from: '+14155550100' });
const adapter = (options: { publicUrl?: string } = {}) =>
  twilioSms({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+14155550100', ...options });

function request(
  url: string,
  body: string,
  signature: string | undefined,
  contentType = 'application/x-www-form-urlencoded',
): RawRequest {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (signature !== undefined) headers['x-twilio-signature'] = signature;
  return { method: 'POST', url, headers, body };
}

describe('X-Twilio-Signature known answers', () => {
  it('reproduces the Twilio docs example signature', async () => {
    const params = new URLSearchParams(DOCS_PARAMS);
    expect(await twilioSignature(DOCS_TOKEN, DOCS_URL, params)).toBe(DOCS_SIGNATURE);
  });

  it('verifies the Twilio docs example request', async () => {
    await expect(
      docsAdapter().verify(request(DOCS_URL, DOCS_PARAMS, DOCS_SIGNATURE)),
    ).resolves.toBeUndefined();
  });

  it('accepts a signature Twilio made over the URL with :443 when the request URL has no port', async () => {
    await expect(
      docsAdapter().verify(request(DOCS_URL, DOCS_PARAMS, 'kvajT1Ptam85bY51eRf/AJRuM3w=')),
    ).resolves.toBeUndefined();
  });

  it('accepts a signature over the URL without port when the request URL has :443', async () => {
    const url = 'https://mycompany.com:443/myapp.php?foo=1&bar=2';
    await expect(docsAdapter().verify(request(url, DOCS_PARAMS, DOCS_SIGNATURE))).resolves.toBeUndefined();
  });

  it('accepts the WHATWG spelling of a query with an apostrophe', async () => {
    const url = "https://mycompany.com/myapp.php?foo=1&bar=2&Body=It's+amazing";
    await expect(
      docsAdapter().verify(request(url, DOCS_PARAMS, 'TfZzewPq8wqrGlMfyAud8+/IvJ0=')),
    ).resolves.toBeUndefined();
  });

  it('signs a repeated key once per distinct value, values sorted', async () => {
    const params: [string, string][] = [
      ['Sid', 'CA123'],
      ['SidAccount', 'AC123'],
      ['Digits', '5678'],
      ['Digits', '1234'],
      ['Digits', '1234'],
    ];
    expect(await twilioSignature(DOCS_TOKEN, DOCS_URL, params)).toBe('IK+Dwps556ElfBT0I3Rgjkr1wJU=');
  });

  it('verifies a JSON webhook through bodySHA256 and rejects a changed body', async () => {
    const body = '{"property": "value", "boolean": true}';
    const url = `${DOCS_URL}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620`;
    const ok = request(url, body, 'a9nBmqA0ju/hNViExpshrM61xv4=', 'application/json');
    await expect(docsAdapter().verify(ok)).resolves.toBeUndefined();
    const tampered = { ...ok, body: '{"property": "evil", "boolean": true}' };
    await expect(docsAdapter().verify(tampered)).rejects.toThrow(/does not match its bodySHA256/);
  });

  it('verifies the JSON webhook whose signature covers the :443 spelling', async () => {
    const url = `${DOCS_URL}&bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a`;
    await expect(
      docsAdapter().verify(request(url, '{}', 'Ldidvp12m26NI7eqEvxnEpkd9Hc=', 'application/json')),
    ).resolves.toBeUndefined();
  });

  it('lists the URL spellings Twilio may have signed', () => {
    expect(signedUrlCandidates('https://user:pw@a.example/x?q=1')).toEqual([
      'https://user:pw@a.example/x?q=1',
      'https://user:pw@a.example:443/x?q=1',
    ]);
    expect(signedUrlCandidates('http://a.example:80/x')).toEqual([
      'http://a.example:80/x',
      'http://a.example/x',
    ]);
    expect(signedUrlCandidates('http://a.example:8080/x')).toEqual(['http://a.example:8080/x']);
  });
});

describe('X-Twilio-Signature rejections', () => {
  it('rejects a tampered body', async () => {
    const raw = await signedRequest(fixture('sms_inbound.txt'));
    const tampered = { ...raw, body: raw.body.replace('Body=Hi', 'Body=Hello') };
    await expect(adapter().verify(tampered)).rejects.toBeInstanceOf(SignatureError);
  });

  it('rejects an added parameter', async () => {
    const raw = await signedRequest(fixture('sms_inbound.txt'));
    await expect(adapter().verify({ ...raw, body: `${raw.body}&Extra=1` })).rejects.toThrow(
      'signature does not match',
    );
  });

  it('rejects a signature made with another Auth Token', async () => {
    const raw = await signedRequest(fixture('sms_inbound.txt'), WEBHOOK_URL, 'another-token');
    await expect(adapter().verify(raw)).rejects.toBeInstanceOf(SignatureError);
  });

  it('rejects a request signed for another URL', async () => {
    const raw = await signedRequest(fixture('sms_inbound.txt'), 'https://evil.example/webhooks/twilio-sms');
    await expect(adapter().verify({ ...raw, url: WEBHOOK_URL })).rejects.toBeInstanceOf(SignatureError);
  });

  it('a request that reached the app through a proxy points at publicUrl, without echoing the URL', async () => {
    const raw = await signedRequest(fixture('sms_inbound.txt'));
    const internal = 'http://10.0.0.5:3000/webhooks/twilio-sms';
    const refusal = adapter().verify({ ...raw, url: internal });
    await expect(refusal).rejects.toThrow(/signature does not match .*behind a proxy.*set publicUrl/);
    await expect(refusal).rejects.not.toThrow('10.0.0.5');
    await adapter({ publicUrl: 'https://support.example.com' }).verify({ ...raw, url: internal });
  });

  it('rejects a request without the header', async () => {
    const raw = await signedRequest(fixture('sms_inbound.txt'));
    const { 'x-twilio-signature': _, ...headers } = raw.headers;
    await expect(adapter().verify({ ...raw, headers })).rejects.toThrow(/no X-Twilio-Signature header/);
  });
});

describe('publicUrl behind a proxy', () => {
  const options = { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+14155550100' };

  it('a public origin replaces the received one', async () => {
    const raw = await signedRequest(fixture('sms_inbound.txt'), `${WEBHOOK_URL}?tenant=7`);
    const received = { ...raw, url: 'http://10.0.0.5:3000/webhooks/twilio-sms?tenant=7' };
    await expect(adapter().verify(received)).rejects.toBeInstanceOf(SignatureError);
    const behindProxy = twilioSms({ ...options, publicUrl: 'https://support.example.com/' });
    await expect(behindProxy.verify(received)).resolves.toBeUndefined();
  });

  it('a function returns the full public URL', async () => {
    const raw = await signedRequest(fixture('sms_inbound.txt'));
    const received = { ...raw, url: 'http://127.0.0.1:3000/hooks/twilio-sms' };
    const behindProxy = twilioSms({ ...options, publicUrl: () => WEBHOOK_URL });
    await expect(behindProxy.verify(received)).resolves.toBeUndefined();
  });
});

describe('the shared Twilio samples', () => {
  interface Vector {
    file: string;
    authToken: string;
    url: string;
    expectedSignature: string;
  }
  const messaging = sharedSamples('twilio-messaging');
  const voice = sharedSamples('twilio-voice');

  it('every published form vector in vectors.json verifies', async () => {
    if (!messaging) return;
    const vectors = JSON.parse(readFileSync(path.join(messaging.dir, 'vectors.json'), 'utf8')) as {
      published: {
        inputs: { authToken?: string; url?: string; params?: Record<string, string | string[]> };
        expected: string;
      }[];
    };
    let checked = 0;
    for (const { inputs, expected } of vectors.published) {
      if (!inputs.url || !inputs.authToken || !inputs.params) continue;
      const pairs = Object.entries(inputs.params).flatMap(([k, v]) =>
        (Array.isArray(v) ? v : [v]).map((x) => [k, x] as const),
      );
      expect(await twilioSignature(inputs.authToken, inputs.url, pairs)).toBe(expected);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(13);
  });

  it('every sample body verifies with its derived signature', async () => {
    if (!messaging || !voice) return;
    let checked = 0;
    for (const samples of [messaging, voice]) {
      const vectors = JSON.parse(readFileSync(path.join(samples.dir, 'vectors.json'), 'utf8')) as {
        derived_not_published?: { vectors: Vector[] };
        derived?: { vectors: Vector[] };
      };
      const derived = (vectors.derived_not_published ?? vectors.derived)?.vectors ?? [];
      const byFile = new Map(derived.map((v) => [path.basename(v.file), v]));
      for (const file of samples.files) {
        const vector = byFile.get(file);
        if (!vector) continue;
        const body = readFileSync(path.join(samples.dir, file), 'utf8');
        const verifier = twilioVoice({ accountSid: ACCOUNT_SID, authToken: vector.authToken });
        await expect(
          verifier.verify(request(vector.url, body, vector.expectedSignature)),
          file,
        ).resolves.toBeUndefined();
        checked++;
      }
    }
    expect(checked).toBe(messaging.files.length + voice.files.length);
  });
});

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake Twilio API received. */
export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  idempotencyToken: string | undefined;
  contentType: string | undefined;
  form: [string, string][];
}

/** A scripted answer: status, extra headers, JSON body. */
export interface ScriptedReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * A Messages endpoint speaking Twilio's REST shape on 127.0.0.1: basic auth, form body, 201 with
 * the Message resource, Twilio's error body (`code`, `message`, `more_info`, `status`) for a bad
 * number (21211) or bad credentials (20003). Scripted replies are served first, in order.
 */
export async function startTwilioApi(accountSid: string, authToken: string) {
  const requests: RecordedRequest[] = [];
  const script: ScriptedReply[] = [];
  let counter = 0;
  const error = (code: number, message: string, status: number) => ({
    code,
    message,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  });
  const answer = (res: ServerResponse, reply: ScriptedReply) => {
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  };
  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const form = [...new URLSearchParams(raw)];
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
      idempotencyToken: req.headers['i-twilio-idempotency-token'] as string | undefined,
      contentType: req.headers['content-type'],
      form,
    });
    const scripted = script.shift();
    if (scripted) return answer(res, scripted);
    if (req.method !== 'POST' || req.url !== `/2010-04-01/Accounts/${accountSid}/Messages.json`) {
      return answer(res, { status: 404, body: error(20404, 'The requested resource was not found', 404) });
    }
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected)
      return answer(res, { status: 401, body: error(20003, 'Authenticate', 401) });
    const fields = Object.fromEntries(form);
    if (fields.To === '+15005550001' || fields.To === 'whatsapp:+15005550001') {
      return answer(res, {
        status: 400,
        body: error(21211, `The 'To' number ${fields.To} is not a valid phone number.`, 400),
      });
    }
    counter++;
    const sid = `SM${String(counter).padStart(32, '0')}`;
    answer(res, {
      status: 201,
      body: { sid, status: 'queued', to: fields.To, from: fields.From ?? null, body: fields.Body ?? '' },
    });
  };
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      raw += chunk;
    });
    req.on('end', () => handle(req, res, raw));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

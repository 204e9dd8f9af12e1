import { createHmac } from 'node:crypto';
import { mailgunInbound, postmarkInbound, sendgridInbound } from '../../../src/channels/email/index.js';
import { describeChannelContract } from '../../../src/testing/channel-contract.js';
import { fixture, rawRequest } from './helpers.js';

const basicAuth = { username: 'hook', password: 'correct horse battery staple' };
const authorization = `Basic ${Buffer.from('hook:correct horse battery staple').toString('base64')}`;
const wrongAuthorization = `Basic ${Buffer.from('hook:wrong').toString('base64')}`;
const bodyNotSigned = {
  reason: 'Basic auth authenticates the caller, not the body: the provider signs no body bytes',
  tests: ['refuses a signed body with one byte changed'],
};

const postmarkBody = fixture('postmark-inbound-reply.json', 'utf8');
describeChannelContract(
  'postmark',
  () => postmarkInbound({ basicAuth }),
  {
    signed: [rawRequest(postmarkBody, 'application/json', { authorization })],
    unsigned: [
      rawRequest(postmarkBody, 'application/json'),
      rawRequest(postmarkBody, 'application/json', { authorization: wrongAuthorization }),
    ],
    malformed: [
      rawRequest('{"TextBody":"no sender"}', 'application/json', { authorization }),
      rawRequest('[1,2', 'application/json', { authorization }),
    ],
  },
  { skip: [bodyNotSigned] },
);

const sendgridType = 'multipart/form-data; boundary=xYzZY';
describeChannelContract(
  'sendgrid',
  () => sendgridInbound({ basicAuth }),
  {
    signed: [
      rawRequest(fixture('sendgrid-parsed-reply.txt'), sendgridType, { authorization }),
      rawRequest(fixture('sendgrid-raw-reply.txt', 'utf8'), sendgridType, { authorization }),
    ],
    unsigned: [rawRequest(fixture('sendgrid-parsed-reply.txt'), sendgridType)],
    malformed: [
      rawRequest(
        '--xYzZY\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n--xYzZY--\r\n',
        sendgridType,
        {
          authorization,
        },
      ),
      rawRequest('not multipart at all', sendgridType, { authorization }),
    ],
  },
  { skip: [bodyNotSigned] },
);

const signingKey = 'threadline-fixture-signing-key';
function signedForm(fields: Record<string, string>, token: string): string {
  const timestamp = '1764057600';
  const signature = createHmac('sha256', signingKey)
    .update(timestamp + token)
    .digest('hex');
  return new URLSearchParams({ ...fields, timestamp, token, signature }).toString();
}
const urlencoded = 'application/x-www-form-urlencoded';
describeChannelContract(
  'mailgun',
  () => mailgunInbound({ signingKey, clock: () => 1764057600_000 }),
  {
    signed: [
      rawRequest(fixture('mailgun-parsed-urlencoded.txt', 'utf8'), urlencoded),
      rawRequest(
        signedForm({ from: 'Claire <claire@example.fr>', 'body-plain': 'Merci' }, 'token-0'),
        urlencoded,
      ),
    ],
    unsigned: [
      rawRequest(
        `from=a%40example.com&timestamp=1764057600&token=token-1&signature=${'0'.repeat(64)}`,
        urlencoded,
      ),
      rawRequest('from=a%40example.com&body-plain=x', urlencoded),
    ],
    malformed: [
      rawRequest(signedForm({ subject: 'no sender', 'body-plain': 'x' }, 'token-2'), urlencoded),
      rawRequest(signedForm({ from: 'not an address', 'body-plain': 'x' }, 'token-3'), urlencoded),
    ],
  },
  {
    skip: [
      {
        reason:
          'Mailgun signs timestamp + token only, not the body (tampered signature fields are tested in mailgun.test.ts)',
        tests: ['refuses a signed body with one byte changed'],
      },
    ],
  },
);

/**
 * The channel simulator: "send as the customer". Each function builds the provider's real
 * webhook (Twilio's form fields with X-Twilio-Signature, Postmark's inbound JSON with Basic auth)
 * and POSTs it to the demo's own `/webhooks/{channelId}` over HTTP, so the adapters verify and
 * parse it exactly as they would a provider's request.
 */
import type { Desk } from 'threadline';
import { ANN, CHANNELS, POSTMARK, TWILIO } from './config.js';
import {
  postPostmarkWebhook,
  postTwilioWebhook,
  providerSid,
  type WebhookResult,
} from './signed-webhooks.js';

/** The channels the simulator can play. */
export const simulatedChannels = ['sms', 'whatsapp', 'email', 'voice'] as const;
export type SimulatedChannel = (typeof simulatedChannels)[number];

/** What the customer sends: `from` defaults to Ann's phone or email. */
export interface SimulatedMessage {
  from?: string;
  name?: string;
  text?: string;
  subject?: string;
  /** Voice only: call length in seconds. Default 42. */
  durationSec?: number;
}

/** Where to post and what the desk knows (for email threading). */
export interface SimulatorContext {
  origin: string;
  desk: Desk;
}

/** Sends one simulated customer message; resolves with what the webhook answered. */
export function simulate(
  channel: SimulatedChannel,
  input: SimulatedMessage,
  context: SimulatorContext,
): Promise<WebhookResult> {
  if (channel === 'email') return simulateEmail(input, context);
  if (channel === 'voice') return simulateCall(input, context);
  return simulateMessaging(channel, input, context);
}

function webhookUrl(context: SimulatorContext, channelId: string): string {
  return `${context.origin}/webhooks/${channelId}`;
}

function simulateMessaging(
  channel: 'sms' | 'whatsapp',
  input: SimulatedMessage,
  context: SimulatorContext,
): Promise<WebhookResult> {
  const sid = providerSid('SM');
  const phone = input.from || ANN.phone;
  const prefix = channel === 'whatsapp' ? 'whatsapp:' : '';
  const params: Record<string, string> = {
    ToCountry: 'US',
    ToState: 'CA',
    SmsMessageSid: sid,
    NumMedia: '0',
    SmsSid: sid,
    SmsStatus: 'received',
    Body: input.text ?? '',
    To: prefix + TWILIO.number,
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: TWILIO.accountSid,
    From: prefix + phone,
    ApiVersion: '2010-04-01',
  };
  if (channel === 'whatsapp') {
    params.ProfileName = input.name || ANN.name;
    params.WaId = phone.replace(/^\+/, '');
    params.MessageType = 'text';
  }
  return postTwilioWebhook(webhookUrl(context, channel === 'sms' ? CHANNELS.sms : CHANNELS.whatsapp), params);
}

/** A finished inbound call (status callback), then its transcription when text is given. */
async function simulateCall(input: SimulatedMessage, context: SimulatorContext): Promise<WebhookResult> {
  const url = webhookUrl(context, CHANNELS.voice);
  const callSid = providerSid('CA');
  const common = {
    AccountSid: TWILIO.accountSid,
    CallSid: callSid,
    From: input.from || ANN.phone,
    To: TWILIO.number,
  };
  const status = await postTwilioWebhook(url, {
    ...common,
    CallStatus: 'completed',
    Direction: 'inbound',
    CallDuration: String(input.durationSec ?? 42),
    // No `Timestamp` (one-second precision, see simulateEmail): the record is stamped when received.
    CallbackSource: 'call-progress-events',
    SequenceNumber: '0',
    ApiVersion: '2010-04-01',
  });
  if (status.status >= 300 || !input.text) return status;
  const recordingSid = providerSid('RE');
  return postTwilioWebhook(url, {
    ...common,
    RecordingSid: recordingSid,
    RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${TWILIO.accountSid}/Recordings/${recordingSid}`,
    TranscriptionSid: providerSid('TR'),
    TranscriptionText: input.text,
    TranscriptionStatus: 'completed',
    TranscriptionType: 'fast',
  });
}

/** The latest email we sent this customer, to answer it (In-Reply-To, Re: subject, reply+ address). */
async function latestOutboundEmail(desk: Desk, address: string) {
  const customer = await desk.store.findCustomerByIdentity('default', `email:${address.toLowerCase()}`);
  if (!customer) return undefined;
  for await (const message of desk.timeline(customer.id, { limit: 50 })) {
    if (message.channel === CHANNELS.email && message.direction === 'outbound' && message.externalId) {
      return message;
    }
  }
  return undefined;
}

async function simulateEmail(input: SimulatedMessage, context: SimulatorContext): Promise<WebhookResult> {
  const from = input.from || ANN.email;
  const name = input.name || (from === ANN.email ? ANN.name : '');
  const answered = await latestOutboundEmail(context.desk, from);
  const messageId = `<${crypto.randomUUID()}@mail.example.com>`;
  const headers = [
    {
      Name: 'Received-SPF',
      Value: `Pass (sender SPF authorized) identity=mailfrom; envelope-from="${from}"`,
    },
    { Name: 'Message-ID', Value: messageId },
  ];
  let to: string = POSTMARK.support.address;
  let subject = input.subject || 'Question about my order';
  if (answered) {
    const inReplyTo = `<${answered.externalId}>`;
    headers.push({ Name: 'In-Reply-To', Value: inReplyTo }, { Name: 'References', Value: inReplyTo });
    to = `reply+${answered.conversationId}@${POSTMARK.replyDomain}`;
    subject = input.subject || 'Re: Your request';
  }
  const text = input.text ?? '';
  const payload = {
    FromName: name,
    MessageStream: 'inbound',
    From: from,
    FromFull: { Email: from, Name: name, MailboxHash: '' },
    To: to,
    ToFull: [{ Email: to, Name: '', MailboxHash: answered ? `${answered.conversationId}` : '' }],
    Cc: '',
    Subject: subject,
    MessageID: crypto.randomUUID(),
    // No `Date`: it has one-second precision, and the desk would order a message sent a moment
    // after another before it. Without it, the message is stamped when received.
    MailboxHash: answered ? answered.conversationId : '',
    TextBody: text,
    HtmlBody: `<p>${text.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`)}</p>`,
    StrippedTextReply: answered ? text : '',
    Tag: '',
    Headers: headers,
    Attachments: [],
  };
  return postPostmarkWebhook(webhookUrl(context, CHANNELS.email), payload);
}

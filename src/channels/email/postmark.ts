import * as z from 'zod';
import type { ChannelAdapter, OutboundDelivery, RawRequest, SendResult } from '../../core/channel.js';
import { DeliveryError, ValidationError } from '../../model/errors.js';
import type { InboundEvent } from '../../model/inbound.js';
import { createProviderClient, type DeliveryOptions, deliver } from '../shared/provider-client.js';
import { type EmailAddress, formatAddress, parseAddress } from './address.js';
import { type BasicAuthCredentials, checkCredentials, verifyBasicAuth } from './basic-auth.js';
import { emailCapabilities, INBOUND_EMAIL_MAX_BYTES } from './capabilities.js';
import { type HeaderList, stripAngles, threadHeaders } from './headers.js';
import { type EmailAttachment, emailEvents } from './inbound.js';
import { describeErrorBody } from './provider-errors.js';
import { checkSenderOptions, composeEmail, type EmailSenderOptions } from './send.js';
import { receivedSpfPass, singleAuthor } from './sender-auth.js';
import { decodedBase64Size } from './transfer-encoding.js';

/** Options of {@link postmarkInbound}. */
export interface PostmarkOptions extends EmailSenderOptions, DeliveryOptions {
  /** Adapter id. Default `postmark`. */
  id?: string;
  /**
   * Credentials embedded in the inbound webhook URL (`https://user:pass@host/...`). Postmark
   * does not sign webhooks: without this, `verify` accepts every request (restrict the route to
   * Postmark's published webhook IP ranges instead).
   */
  basicAuth?: BasicAuthCredentials;
  /** Server API token, sent as `X-Postmark-Server-Token`. Required to send. */
  serverToken?: string;
  /** Message stream of outbound mail. Default `outbound`. */
  messageStream?: string;
  /** API base URL. Default `https://api.postmarkapp.com`. */
  baseUrl?: string;
}

const PostmarkInbound = z.object({
  From: z.string().optional(),
  FromName: z.string().optional(),
  FromFull: z.object({ Email: z.string(), Name: z.string().optional() }).optional(),
  To: z.string().optional(),
  Cc: z.string().optional(),
  Bcc: z.string().optional(),
  OriginalRecipient: z.string().optional(),
  Subject: z.string().optional(),
  MessageID: z.string().optional(),
  Date: z.string().optional(),
  MailboxHash: z.string().optional(),
  TextBody: z.string().optional(),
  HtmlBody: z.string().optional(),
  StrippedTextReply: z.string().nullish(),
  Headers: z.array(z.object({ Name: z.string(), Value: z.string() })).optional(),
  Attachments: z
    .array(
      z.object({
        Name: z.string().optional(),
        ContentType: z.string().optional(),
        ContentLength: z.number().optional(),
        Content: z.string().optional(),
        Data: z.string().optional(),
        ContentID: z.string().nullish(),
      }),
    )
    .optional(),
});
type PostmarkInbound = z.infer<typeof PostmarkInbound>;

function sender(id: string, payload: PostmarkInbound): EmailAddress {
  const email = payload.FromFull?.Email || payload.From;
  const parsed = email ? parseAddress(email) : undefined;
  if (!parsed)
    throw new ValidationError(`${id} inbound email`, [
      { path: ['FromFull', 'Email'], message: 'no sender address' },
    ]);
  const name = payload.FromFull?.Name || payload.FromName || parsed.name;
  return name ? { address: parsed.address, name } : { address: parsed.address };
}

function attachments(payload: PostmarkInbound): EmailAttachment[] {
  return (payload.Attachments ?? []).map((item) => {
    const content = item.Content ?? item.Data;
    const attachment: EmailAttachment = {};
    if (item.Name) attachment.filename = item.Name;
    if (item.ContentType) attachment.contentType = item.ContentType;
    const size = content !== undefined ? decodedBase64Size(content) : item.ContentLength;
    if (size !== undefined) attachment.size = size;
    if (item.ContentID) attachment.contentId = stripAngles(item.ContentID);
    return attachment;
  });
}

function parsePostmark(
  id: string,
  raw: RawRequest,
  own: EmailAddress | undefined,
  authenticated: boolean,
): InboundEvent[] {
  let json: unknown;
  try {
    json = JSON.parse(raw.body);
  } catch (cause) {
    throw new ValidationError(`${id} inbound email`, [{ path: [], message: 'body is not JSON' }], { cause });
  }
  const checked = PostmarkInbound.safeParse(json);
  if (!checked.success) throw ValidationError.fromZod(`${id} inbound email`, checked.error);
  const payload = checked.data;
  const headers: HeaderList = (payload.Headers ?? []).map((header) => [header.Name, header.Value]);
  const meta: Record<string, string> = {};
  if (payload.MessageID) meta.providerMessageId = payload.MessageID;
  if (payload.To) meta.to = payload.To;
  if (payload.MailboxHash) meta.mailboxHash = payload.MailboxHash;
  const from = sender(id, payload);
  const email = {
    from,
    // Postmark's From and FromFull hold one mailbox; a second From field may still be in Headers.
    // Unauthenticated, Received-SPF is whatever the poster wrote: it vouches for no one.
    verified:
      authenticated && receivedSpfPass(headers, from.address) && singleAuthor({ several: false }, headers),
    thread: threadHeaders(headers),
    attachments: attachments(payload),
    meta,
    recipients: [payload.OriginalRecipient, payload.To, payload.Cc, payload.Bcc].filter(
      (field): field is string => field !== undefined,
    ),
    ...(payload.Subject !== undefined && { subject: payload.Subject }),
    ...(payload.TextBody !== undefined && { text: payload.TextBody }),
    ...(payload.HtmlBody && { html: payload.HtmlBody }),
    ...(payload.StrippedTextReply && { providerStripped: payload.StrippedTextReply }),
    ...(payload.Date && { date: payload.Date }),
  };
  return emailEvents(id, email, own);
}

/**
 * A Postmark inbound email channel (kind `email`, default id `postmark`): verifies the Basic
 * auth credentials embedded in the webhook URL (constant-time; accepts all when `basicAuth` is
 * not set, and then never marks a sender verified: the SPF result in the payload could be
 * anyone's writing), parses Postmark's inbound JSON into one message event, and sends replies through
 * Postmark's `/email` API with our own Message-ID, which becomes the `externalId`.
 * Throws `ValidationError` for invalid options.
 */
export function postmarkInbound(options: PostmarkOptions = {}): ChannelAdapter {
  const id = options.id ?? 'postmark';
  checkCredentials(id, options.basicAuth);
  checkSenderOptions(id, options);
  const client = createProviderClient({
    ...options,
    channel: id,
    baseUrl: options.baseUrl ?? 'https://api.postmarkapp.com',
    headers: {
      accept: 'application/json',
      ...(options.serverToken && { 'x-postmark-server-token': options.serverToken }),
    },
  });
  return {
    id,
    kind: 'email',
    capabilities: emailCapabilities,
    contentTypes: ['application/json'],
    maxBodyBytes: INBOUND_EMAIL_MAX_BYTES,
    async verify(raw) {
      verifyBasicAuth(id, raw, options.basicAuth);
    },
    parse: async (raw) => parsePostmark(id, raw, options.from, options.basicAuth !== undefined),
    send: (delivery) => sendPostmark(id, client, options, delivery),
  };
}

/**
 * Largest `TextBody` Postmark sends: 5 MB (Postmark support, "What are the attachment and email
 * size limits?"; a larger one is rejected). Counted as 5,000,000 bytes of UTF-8, the stricter
 * reading. A reply reaches it only with dozens of long parts (each at most 65,536 characters).
 */
const POSTMARK_MAX_BODY_BYTES = 5_000_000;

function assertBodySize(id: string, text: string): void {
  if (text.length * 3 <= POSTMARK_MAX_BODY_BYTES) return;
  const bytes = new TextEncoder().encode(text).byteLength;
  if (bytes > POSTMARK_MAX_BODY_BYTES) {
    throw new DeliveryError(
      `${id}: the text is ${bytes} bytes; Postmark accepts a TextBody of at most 5 MB`,
      { retryable: false },
    );
  }
}

async function sendPostmark(
  id: string,
  client: ReturnType<typeof createProviderClient>,
  options: PostmarkOptions,
  delivery: OutboundDelivery,
): Promise<SendResult> {
  if (!options.serverToken) throw new DeliveryError(`${id}: no serverToken configured`, { retryable: false });
  const email = composeEmail(id, delivery, options);
  assertBodySize(id, email.text);
  const headers = [{ Name: 'Message-ID', Value: email.messageId }];
  if (email.inReplyTo) headers.push({ Name: 'In-Reply-To', Value: email.inReplyTo });
  if (email.references.length > 0) headers.push({ Name: 'References', Value: email.references.join(' ') });
  const body = {
    From: formatAddress(email.from),
    To: email.to,
    Subject: email.subject,
    TextBody: email.text,
    ...(email.replyTo && { ReplyTo: email.replyTo }),
    Headers: headers,
    MessageStream: options.messageStream ?? 'outbound',
  };
  await deliver(
    id,
    () => client.post('email', { json: body, signal: delivery.signal }).json<{ MessageID?: string }>(),
    describeErrorBody,
  );
  return { externalId: stripAngles(email.messageId), status: 'sent' };
}

/**
 * The Postmark channel under the name the design's examples use: the same factory as
 * {@link postmarkInbound}, which both receives (the Inbound webhook) and sends (the Email API).
 *
 * @example
 * ```ts
 * const desk = createDesk({ channels: [postmarkEmail({ serverToken: process.env.POSTMARK_TOKEN })] });
 * ```
 */
export const postmarkEmail: typeof postmarkInbound = postmarkInbound;

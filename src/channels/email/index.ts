/**
 * Email channels: inbound webhooks and outbound sending for Postmark, SendGrid (Inbound Parse)
 * and Mailgun (routes). Each factory returns a `ChannelAdapter` of kind `email`.
 *
 * @example
 * ```ts
 * import { postmarkInbound } from 'threadline/channels/email';
 * const email = postmarkInbound({
 *   basicAuth: { username: 'hook', password: process.env.POSTMARK_HOOK_PASSWORD! },
 *   serverToken: process.env.POSTMARK_TOKEN,
 *   from: { address: 'support@example.com', name: 'Example Support' },
 *   replyTo: 'reply+{conversationId}@inbound.example.com',
 * });
 * ```
 * @module
 */
export { type EmailAddress, formatAddress, parseAddress, parseAddressList } from './address.js';
export type { BasicAuthCredentials } from './basic-auth.js';
export { parseMessageIds, stripAngles } from './headers.js';
export { type MailgunOptions, mailgunInbound } from './mailgun.js';
export { type PostmarkOptions, postmarkEmail, postmarkInbound } from './postmark.js';
export { stripReplyText } from './reply-text.js';
export type { EmailSenderOptions } from './send.js';
export { type SendgridOptions, sendgridInbound } from './sendgrid.js';

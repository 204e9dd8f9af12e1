/**
 * The demo's desk: five channels whose provider APIs point at the local sink, and the shop's one
 * piece of host logic (when Ann logs in, the shop tells the desk her phone number, as a CRM sync
 * would).
 */
import { createDesk, type Desk, type DeskEvent, type Store } from 'threadline';
import { postmarkInbound } from 'threadline/channels/email';
import { twilioSms, twilioVoice, twilioWhatsApp } from 'threadline/channels/twilio';
import { webchat } from 'threadline/channels/webchat';
import { ANN, CHANNELS, POSTMARK, TWILIO } from './config.js';
import type { LiveNotice } from './live.js';

/** Builds the desk; `origin` is the demo server's own URL (sink and status callbacks). */
export function createDemoDesk(store: Store, origin: string): Desk {
  const twilio = {
    accountSid: TWILIO.accountSid,
    authToken: TWILIO.authToken,
    from: TWILIO.number,
    apiBaseUrl: `${origin}/sink/twilio`,
  };
  return createDesk({
    store,
    channels: [
      webchat({ id: CHANNELS.webchat }),
      twilioSms({ ...twilio, id: CHANNELS.sms, statusCallbackUrl: `${origin}/webhooks/${CHANNELS.sms}` }),
      twilioWhatsApp({
        ...twilio,
        id: CHANNELS.whatsapp,
        statusCallbackUrl: `${origin}/webhooks/${CHANNELS.whatsapp}`,
      }),
      twilioVoice({ ...twilio, id: CHANNELS.voice }),
      postmarkInbound({
        id: CHANNELS.email,
        basicAuth: { ...POSTMARK.basicAuth },
        serverToken: POSTMARK.serverToken,
        from: { ...POSTMARK.support },
        replyTo: `reply+{conversationId}@${POSTMARK.replyDomain}`,
        baseUrl: `${origin}/sink/postmark`,
        retries: 1,
      }),
    ],
    outbox: { retryBaseMs: 500 },
    logger: { warn: console.warn, error: console.error },
  });
}

/**
 * The shop knows its users' phone numbers: once Ann's account (`external:user_ann`) is linked to
 * a customer, her number is attached as verified, so her texts and calls join the same customer.
 */
export function syncShopAccounts(desk: Desk): () => void {
  return desk.on('customer.identified', (event) => {
    if (event.identity.kind !== 'external' || event.identity.value !== ANN.sub) return;
    if (
      event.customer.identities.some((identity) => identity.kind === 'phone' && identity.value === ANN.phone)
    ) {
      return;
    }
    desk
      .identify(event.customer.id, { kind: 'phone', value: ANN.phone, verified: true }, { reason: 'login' })
      .catch((error) => desk.logger.error("demo: could not link Ann's phone", error));
  });
}

/** The inbox notice of a desk event: its type and the conversation or customer it touches. */
export function noticeOf(event: DeskEvent): LiveNotice {
  const notice: LiveNotice = { type: event.type };
  if ('message' in event) {
    notice.conversationId = event.message.conversationId;
    notice.customerId = event.message.customerId;
  } else if ('conversation' in event) {
    notice.conversationId = event.conversation.id;
    notice.customerId = event.conversation.customerId;
  } else if ('customer' in event) {
    notice.customerId = event.customer.id;
  } else if ('conversationId' in event) {
    notice.conversationId = event.conversationId;
  }
  return notice;
}

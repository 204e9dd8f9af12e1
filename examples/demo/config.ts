/**
 * The demo's pretend provider accounts. Every secret here is public and fake: the simulator signs
 * its webhooks with them and the channel adapters verify them, exactly as with real accounts.
 */

/** Twilio account used by the SMS, WhatsApp and voice channels. */
export const TWILIO = {
  accountSid: 'AC00000000000000000000000000de0000',
  authToken: 'demo-twilio-auth-token',
  /** The shop's SMS number and WhatsApp sender. */
  number: '+14155550999',
} as const;

/** Postmark server: inbound webhook credentials (Basic auth in the URL) and the API token. */
export const POSTMARK = {
  basicAuth: { username: 'postmark', password: 'demo-inbound-password' },
  serverToken: 'demo-postmark-server-token',
  support: { address: 'support@shop.example', name: 'Demo Shop Support' },
  replyDomain: 'inbound.shop.example',
} as const;

/** Key of the identity tokens the shop's server signs for logged-in visitors. */
export const IDENTITY_SECRET = 'demo-identity-secret-not-for-production';

/** The shop's logged-in user of the demo. */
export const ANN = {
  sub: 'user_ann',
  email: 'ann@example.com',
  name: 'Ann Lee',
  phone: '+14155550100',
} as const;

/** Channel ids of the demo desk (they name the webhook paths: `/webhooks/{id}`). */
export const CHANNELS = {
  webchat: 'webchat',
  sms: 'sms',
  whatsapp: 'whatsapp',
  email: 'email',
  voice: 'voice',
} as const;

/** The agent who replies from the inbox. */
export const AGENT = { type: 'agent', id: 'agent_sam', name: 'Sam' } as const;

import type { IdentityInput } from '../../model/identity.js';

const e164 = /^\+[1-9]\d{6,14}$/;

/**
 * The identity behind a Twilio address (`From`/`To`). A `whatsapp:+E164` address is a WhatsApp
 * identity and a `+E164` one a phone identity, both verified: the carrier or WhatsApp proved the
 * number. Anything else (a short code, an alphanumeric sender, a Voice SDK `client:name`, a
 * `sip:` URI) cannot be proven to be a person's number, so it becomes an unverified `external`
 * identity with the address as given.
 */
export function identityOf(address: string): IdentityInput {
  const trimmed = address.trim();
  const whatsapp = /^whatsapp:/i.test(trimmed);
  const value = whatsapp ? trimmed.slice('whatsapp:'.length) : trimmed;
  if (e164.test(value)) return { kind: whatsapp ? 'whatsapp' : 'phone', value, verified: true };
  return { kind: 'external', value: trimmed, verified: false };
}

/** A Twilio address for sending: `whatsapp:+E164` on WhatsApp, the number itself otherwise. */
export function addressOf(channel: 'sms' | 'whatsapp', value: string): string {
  const bare = value.replace(/^whatsapp:/i, '');
  return channel === 'whatsapp' ? `whatsapp:${bare}` : bare;
}

import type { CountryCode } from 'libphonenumber-js';
import * as z from 'zod';
import type { ChannelAdapter, ChannelCapabilities, RawRequest, SendResult } from '../../core/channel.js';
import { PolicyError, ValidationError } from '../../model/errors.js';
import type { InboundEvent } from '../../model/inbound.js';
import { verifyHostSignature } from '../shared/host-signature.js';
import { parseSubmission, type WebformFieldNames, type WebformSettings } from './parse.js';

export { SIGNATURE_HEADER, signBody } from '../shared/host-signature.js';

/** Options of {@link webform}. */
export interface WebformOptions {
  /** Adapter id, the last segment of the webhook URL. Default `webform`. */
  id?: string;
  /**
   * Shared secret: every submission must carry `X-Threadline-Signature: sha256=<hex HMAC-SHA256
   * of the raw body>` (see `signBody`). Without it anyone can post submissions: set one in production.
   * Leave the option out to accept unsigned posts: `secret: undefined` is refused (an unset
   * environment variable would otherwise turn the check off unnoticed).
   */
  secret?: string;
  /** Names of the meaningful fields. Defaults: `email`, `phone`, `name`, `message`, `subject`. */
  fields?: Partial<WebformFieldNames>;
  /** Field naming the form (kept as the form part's `formId`). Default `formId`. */
  formIdField?: string;
  /** Field holding a unique submission id: the dedupe key of retried posts. Default `submissionId`. */
  submissionIdField?: string;
  /** Country for phone numbers typed without a `+` prefix (`(415) 555-0100`). Default none. */
  defaultCountry?: CountryCode;
}

const fieldName = z.string().min(1).max(256);
const Options = z.object({
  id: z.string().min(1).max(128).optional(),
  secret: z.string().min(16, 'use a secret of at least 16 characters').optional(),
  fields: z
    .object({ email: fieldName, phone: fieldName, name: fieldName, message: fieldName, subject: fieldName })
    .partial()
    .optional(),
  formIdField: fieldName.optional(),
  submissionIdField: fieldName.optional(),
  defaultCountry: z
    .string()
    .regex(/^[A-Z]{2}$/, 'expected an ISO 3166 country code such as US')
    .optional(),
});

/** A form cannot carry replies, so the adapter sends nothing and addresses nobody. */
const capabilities: ChannelCapabilities = { parts: [], recipientKinds: [] };

function settingsOf(options: WebformOptions, id: string): WebformSettings {
  return {
    channel: id,
    fields: {
      email: options.fields?.email ?? 'email',
      phone: options.fields?.phone ?? 'phone',
      name: options.fields?.name ?? 'name',
      message: options.fields?.message ?? 'message',
      subject: options.fields?.subject ?? 'subject',
    },
    formIdField: options.formIdField ?? 'formId',
    submissionIdField: options.submissionIdField ?? 'submissionId',
    defaultCountry: options.defaultCountry,
  };
}

/**
 * A web form channel (kind `webform`): the host's contact form posts its fields (JSON,
 * urlencoded or multipart; files are ignored) to `/webhooks/{id}`.
 *
 * Every field lands in a `form` part in order; the message field also becomes a text part; the
 * email and phone fields become unverified identities (a form proves nothing), the first present
 * being the sender. Replies cannot go back through a form: `send` throws `PolicyError`, so give
 * the desk a fallback chain to an email channel by its id (`fallback: { webform: ['postmark'] }`)
 * to answer by email.
 *
 * @throws ValidationError when an option is malformed (a secret shorter than 16 characters, or a
 *   `secret` key whose value is undefined: an unset environment variable must not turn the check off).
 * @example
 * ```ts
 * const form = webform({ secret: process.env.FORM_SECRET, defaultCountry: 'US' });
 * ```
 */
export function webform(options: WebformOptions = {}): ChannelAdapter {
  // `secret: process.env.FORM_SECRET` with the variable unset would quietly accept unsigned posts.
  if ('secret' in options && options.secret === undefined) {
    throw new ValidationError('webform options', [
      {
        path: ['secret'],
        message:
          'is undefined (an unset environment variable?); leave the option out to accept unsigned submissions',
      },
    ]);
  }
  const checked = Options.safeParse(options);
  if (!checked.success) throw ValidationError.fromZod('webform options', checked.error);
  const id = options.id ?? 'webform';
  const settings = settingsOf(options, id);
  const secret = options.secret;
  return {
    id,
    kind: 'webform',
    capabilities,
    async verify(raw: RawRequest): Promise<void> {
      if (secret !== undefined) await verifyHostSignature(id, secret, raw);
    },
    async parse(raw: RawRequest): Promise<InboundEvent[]> {
      return [{ type: 'message', message: await parseSubmission(settings, raw) }];
    },
    async send(): Promise<SendResult> {
      throw new PolicyError(
        `${id}: a web form cannot be replied to on its channel; reply by email (set the desk's fallback to your email channel's id, e.g. { webform: ['postmark'] })`,
      );
    },
  };
}

export type { WebformFieldNames } from './parse.js';

import * as z from 'zod';
import { ValidationError } from '../../model/errors.js';
import type { DeliveryOptions } from '../shared/provider-client.js';

/** Graph API version used when none is given. */
export const DEFAULT_GRAPH_VERSION = 'v24.0';
/** Graph API base URL used when none is given. */
export const DEFAULT_GRAPH_BASE_URL = 'https://graph.facebook.com';

const secret = (what: string) =>
  z.string({ error: `${what} is required` }).min(1, `${what} must not be empty`);

const common = {
  id: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'use 1-128 letters, digits, `_`, `.` or `-`')
    .optional(),
  appSecret: secret('appSecret (App Dashboard > App settings > Basic)'),
  verifyToken: secret('verifyToken (the token you type into the webhook settings)'),
  apiBaseUrl: z.url({ protocol: /^https?$/, error: 'apiBaseUrl must be an http(s) URL' }).optional(),
  apiVersion: z
    .string()
    .regex(/^v\d{1,3}\.\d{1,3}$/, 'apiVersion must look like `v24.0`')
    .optional(),
  delivery: z.looseObject({}, { error: 'delivery must be an object' }).optional(),
};

const WhatsAppCloudOptionsSchema = z.object({
  ...common,
  accessToken: secret('accessToken (a system-user token with whatsapp_business_messaging)'),
  phoneNumberId: z
    .string({ error: 'phoneNumberId is required (WhatsApp Manager > Phone numbers)' })
    .regex(/^\d{1,32}$/, 'phoneNumberId is the numeric id of the sending number, not the phone number'),
});

const MessagingOptionsSchema = z.object({
  ...common,
  pageAccessToken: secret('pageAccessToken'),
  pageId: z
    .string()
    .regex(/^\d{1,32}$/, 'pageId is the numeric id of the Page or Instagram account')
    .optional(),
});

/** Options shared by the three Meta adapters. */
export interface MetaCommonOptions {
  /** Adapter id, unique within a desk; the webhook path segment. Default: the kind. */
  id?: string;
  /** The app secret that signs webhooks (`X-Hub-Signature-256`). */
  appSecret: string;
  /** The verify token typed into the app's webhook settings; echoed handshakes must carry it. */
  verifyToken: string;
  /** Graph API base URL. Default `https://graph.facebook.com`. */
  apiBaseUrl?: string;
  /** Graph API version. Default {@link DEFAULT_GRAPH_VERSION}. */
  apiVersion?: string;
  /** Timeouts and retries of outbound sends. */
  delivery?: DeliveryOptions;
}

/** Options of {@link whatsappCloud}. */
export interface WhatsAppCloudOptions extends MetaCommonOptions {
  /** A system-user (or temporary) access token with `whatsapp_business_messaging`. */
  accessToken: string;
  /** The numeric id of the sending phone number (not the number itself). */
  phoneNumberId: string;
}

/** Options of {@link messenger} and {@link instagram}. */
export interface MessagingOptions extends MetaCommonOptions {
  /** The Page access token (Instagram: the token of the Page linked to the account). */
  pageAccessToken: string;
  /** Page (or Instagram account) id: sends go to `/{pageId}/messages`. Default `/me/messages`. */
  pageId?: string;
}

/**
 * Validates adapter options once, at construction.
 * @throws ValidationError naming the factory and every wrong option.
 */
export function validateOptions(factory: 'whatsappCloud', options: unknown): WhatsAppCloudOptions;
export function validateOptions(factory: 'messenger' | 'instagram', options: unknown): MessagingOptions;
export function validateOptions(factory: string, options: unknown): WhatsAppCloudOptions | MessagingOptions {
  const schema = factory === 'whatsappCloud' ? WhatsAppCloudOptionsSchema : MessagingOptionsSchema;
  const result = schema.safeParse(options ?? {});
  if (!result.success) throw ValidationError.fromZod(`${factory}() options`, result.error);
  return options as WhatsAppCloudOptions | MessagingOptions;
}

import { DeliveryError } from '../../model/errors.js';
import type { Part } from '../../model/parts.js';
import { createProviderClient, type DeliveryOptions, deliver } from '../shared/provider-client.js';

/** Where and as whom one adapter talks to the Graph API. */
export interface GraphTarget {
  channel: string;
  baseUrl: string;
  version: string;
  token: string;
  delivery?: DeliveryOptions | undefined;
}

/** Posts one JSON body to a Graph path and returns the parsed answer. */
export type GraphPost = (
  path: string,
  json: Record<string, unknown>,
  signal?: AbortSignal,
) => Promise<unknown>;

/**
 * Graph error codes that mean "try again later" even when Graph answers 400: rate limits
 * (4 app, 17 user, 32 page, 613 call, 80007 Messenger/Instagram, 130429 WhatsApp throughput,
 * 131048 spam rate, 131056 pair rate) and temporary failures (1, 2, 131016).
 */
const retryableCodes = new Set([
  '1',
  '2',
  '4',
  '17',
  '32',
  '613',
  '80007',
  '130429',
  '131016',
  '131048',
  '131056',
]);

interface GraphErrorBody {
  error?: {
    message?: unknown;
    type?: unknown;
    code?: unknown;
    error_subcode?: unknown;
    fbtrace_id?: unknown;
    error_data?: { details?: unknown };
  };
}

/** Reads Graph's `{error:{message,type,code,error_subcode,fbtrace_id}}` body. */
export function describeGraphError(body: unknown): { code?: string; message?: string } {
  const error = (body as GraphErrorBody | null)?.error;
  if (!error || typeof error !== 'object') return {};
  const str = (value: unknown) =>
    typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  const code = str(error.code);
  const notes = [
    code && `code ${code}`,
    str(error.error_subcode) && `subcode ${str(error.error_subcode)}`,
    str(error.type),
    str(error.fbtrace_id) && `fbtrace_id ${str(error.fbtrace_id)}`,
  ].filter(Boolean);
  const details = str(error.error_data?.details);
  const text = [str(error.message), details].filter(Boolean).join(': ') || 'Graph API error';
  const described: { code?: string; message?: string } = { message: `${text} (${notes.join(', ')})` };
  if (code !== undefined) described.code = code;
  return described;
}

/**
 * A poster for one adapter: bearer token, timeouts and retries from `delivery`, and every
 * failure turned into a DeliveryError whose `providerCode` is Graph's error code. Rate-limit
 * codes are retryable whatever the HTTP status.
 */
export function createGraphPost(target: GraphTarget): GraphPost {
  const client = createProviderClient({
    ...target.delivery,
    baseUrl: `${target.baseUrl.replace(/\/+$/, '')}/${target.version}`,
    channel: target.channel,
    headers: { authorization: `Bearer ${target.token}` },
  });
  return async (path, json, signal) => {
    try {
      return await deliver(
        target.channel,
        () => client.post(path, signal ? { json, signal } : { json }).json<unknown>(),
        describeGraphError,
      );
    } catch (error) {
      if (
        error instanceof DeliveryError &&
        !error.retryable &&
        retryableCodes.has(error.providerCode ?? '')
      ) {
        const details: ConstructorParameters<typeof DeliveryError>[1] = {
          retryable: true,
          cause: error.cause,
        };
        if (error.status !== undefined) details.status = error.status;
        if (error.providerCode !== undefined) details.providerCode = error.providerCode;
        if (error.retryAfterMs !== undefined) details.retryAfterMs = error.retryAfterMs;
        throw new DeliveryError(error.message, details);
      }
      throw error;
    }
  };
}

/** A DeliveryError for a message the channel cannot carry: retrying would not help. */
export function unsendable(channel: string, reason: string): DeliveryError {
  return new DeliveryError(`${channel}: cannot send this message: ${reason}`, { retryable: false });
}

/** Reads the provider's message id from a send answer, or fails without retry (it may have been sent). */
export function requireMessageId(channel: string, id: unknown): string {
  if (typeof id === 'string' && id.length > 0) return id;
  throw new DeliveryError(`${channel}: Graph accepted the send but returned no message id`, {
    retryable: false,
  });
}

/**
 * Splits a message's parts the way one Graph message can carry them: all text parts joined by
 * a blank line, and at most one other part. Meta sends one media, location, contact or
 * template per message, so a message with more is refused rather than sent half.
 */
export function composeParts(channel: string, parts: readonly Part[]): { text?: string; other?: Part } {
  const texts: string[] = [];
  const others: Part[] = [];
  for (const part of parts) {
    if (part.type === 'text') texts.push(part.text);
    else others.push(part);
  }
  if (others.length > 1) {
    throw unsendable(
      channel,
      `Meta sends one ${others.map((p) => p.type).join(' or ')} per message; split it`,
    );
  }
  const composed: { text?: string; other?: Part } = {};
  if (texts.length) composed.text = texts.join('\n\n');
  if (others[0]) composed.other = others[0];
  return composed;
}

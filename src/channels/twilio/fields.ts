import type { RawRequest } from '../../core/channel.js';
import { ValidationError } from '../../model/errors.js';
import { parseUrlEncoded, urlEncodedBodyOf } from '../shared/form.js';

/** The parameters of one Twilio webhook, by name (first value wins), plus its URL's query. */
export interface TwilioFields {
  /** Body parameters (form-encoded, or the flat JSON object of a `bodySHA256` webhook). */
  body: Record<string, string>;
  /** Query parameters of the webhook URL (part of the signed URL, so as trustworthy as the body). */
  query: Record<string, string>;
}

function flattenJson(what: string, text: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ValidationError(what, [{ path: [], message: 'body is not valid JSON' }], { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(what, [{ path: [], message: 'JSON body must be an object' }]);
  }
  const fields: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null || item === undefined) continue;
    fields[key] = typeof item === 'object' ? nestedJson(what, key, item) : String(item);
  }
  return fields;
}

/** A nested value as JSON text; one too deep for `JSON.stringify` (a RangeError) is a ValidationError. */
function nestedJson(what: string, key: string, item: object): string {
  try {
    return JSON.stringify(item);
  } catch (cause) {
    throw new ValidationError(what, [{ path: [key], message: 'nested too deeply' }], { cause });
  }
}

function queryOf(url: string): Record<string, string> {
  const index = url.indexOf('?');
  if (index < 0) return {};
  return parseUrlEncoded(url.slice(index + 1).split('#')[0] ?? '').fields;
}

/**
 * Reads a Twilio webhook's parameters: `application/x-www-form-urlencoded` (every Messaging and
 * Voice webhook), or a flat JSON object when the content type says JSON (Twilio then signs the
 * body through the URL's `bodySHA256` parameter).
 * @throws ValidationError when a JSON body is not a JSON object.
 */
export function readTwilioFields(what: string, raw: RawRequest): TwilioFields {
  const contentType = raw.headers['content-type'] ?? '';
  const body = /\bjson\b/i.test(contentType) ? flattenJson(what, raw.body) : urlEncodedBodyOf(raw).fields;
  return { body, query: queryOf(raw.url) };
}

/** Reads an optional numeric parameter; throws a ValidationError naming it when it is not a number in range. */
export function numberField(
  what: string,
  fields: Record<string, string | undefined>,
  name: string,
  range: { min: number; max: number; integer?: boolean },
): number | undefined {
  const text = fields[name];
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  const integerOk = !range.integer || Number.isInteger(value);
  if (!Number.isFinite(value) || !integerOk || value < range.min || value > range.max) {
    const kind = range.integer ? 'an integer' : 'a number';
    throw new ValidationError(what, [
      {
        path: [name],
        message: `must be ${kind} from ${range.min} to ${range.max}, got ${JSON.stringify(text)}`,
      },
    ]);
  }
  return value;
}

/** The first non-empty parameter among `names`, or undefined. */
export function firstField(
  fields: Record<string, string | undefined>,
  ...names: string[]
): string | undefined {
  for (const name of names) {
    const value = fields[name];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** Parses a provider timestamp (RFC 2822 or ISO) to ISO, or undefined when it does not parse. */
export function isoTimestamp(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

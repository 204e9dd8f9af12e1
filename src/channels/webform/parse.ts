import type { CountryCode } from 'libphonenumber-js';
import type { RawRequest } from '../../core/channel.js';
import { ValidationError } from '../../model/errors.js';
import { type IdentityInput, normalizeEmail, normalizePhone } from '../../model/identity.js';
import type { InboundMessage } from '../../model/inbound.js';
import { type FormPart, MAX_TEXT_LENGTH, type Part } from '../../model/parts.js';
import { parseMultipart, parseUrlEncoded } from '../shared/form.js';

/** Names of the form fields the adapter reads meaning from. */
export interface WebformFieldNames {
  email: string;
  phone: string;
  name: string;
  message: string;
  subject: string;
}

/** What `parseSubmission` needs to know, resolved from the adapter's options. */
export interface WebformSettings {
  channel: string;
  fields: WebformFieldNames;
  formIdField: string;
  submissionIdField: string;
  defaultCountry: CountryCode | undefined;
}

const WHAT = 'webform submission';
const MAX_FIELDS = 200;

function invalid(path: PropertyKey[], message: string): ValidationError {
  return new ValidationError(WHAT, [{ path, message }]);
}

function scalar(name: string, value: unknown): string | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw invalid([name], 'expected a string, number, boolean or a list of them');
}

/** Field pairs of a JSON object body; a list value becomes one pair per item. */
function jsonPairs(body: string): [string, string][] {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw invalid([], 'the body is not valid JSON');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw invalid([], 'expected a JSON object of fields');
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(data)) {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      const text = scalar(name, item);
      if (text !== undefined) pairs.push([name, text]);
    }
  }
  return pairs;
}

/** The submitted fields in order, from a JSON, urlencoded or multipart body (files are ignored). */
export async function readFields(raw: RawRequest): Promise<[string, string][]> {
  const contentType = raw.headers['content-type'] ?? '';
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  if (media === 'application/json') return jsonPairs(raw.body);
  if (media === 'application/x-www-form-urlencoded') return parseUrlEncoded(raw.body).pairs;
  if (media === 'multipart/form-data')
    return Object.entries((await parseMultipart(raw.body, contentType)).fields);
  throw invalid(
    [],
    `unsupported content type ${JSON.stringify(media)}; send JSON, urlencoded or multipart fields`,
  );
}

function firstValues(pairs: [string, string][]): Map<string, string> {
  const first = new Map<string, string>();
  for (const [name, value] of pairs) {
    if (!first.has(name) && value.trim() !== '') first.set(name, value.trim());
  }
  return first;
}

function bounded(fields: Map<string, string>, name: string, max: number): string | undefined {
  const value = fields.get(name);
  if (value !== undefined && value.length > max) throw invalid([name], `longer than ${max} characters`);
  return value;
}

/** Re-throws an identity normalization failure naming the form field it came from. */
function contactIdentity(
  fields: Map<string, string>,
  name: string,
  kind: 'email' | 'phone',
  settings: WebformSettings,
): IdentityInput | undefined {
  const value = fields.get(name);
  if (value === undefined) return undefined;
  try {
    const normalized =
      kind === 'email'
        ? normalizeEmail(value)
        : normalizePhone(value, { defaultCountry: settings.defaultCountry });
    return { kind, value: normalized, verified: false };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError(WHAT, [{ path: [name], message: error.issues[0]?.message ?? 'invalid' }], {
      cause: error,
    });
  }
}

function formPart(
  pairs: [string, string][],
  fields: Map<string, string>,
  settings: WebformSettings,
): FormPart {
  if (pairs.length > MAX_FIELDS)
    throw invalid([], `at most ${MAX_FIELDS} fields are accepted, got ${pairs.length}`);
  for (const [name, value] of pairs) {
    if (name.length > 256) throw invalid([name.slice(0, 64)], 'field name longer than 256 characters');
    if (value.length > MAX_TEXT_LENGTH) throw invalid([name], `longer than ${MAX_TEXT_LENGTH} characters`);
  }
  const formId = bounded(fields, settings.formIdField, 256);
  const part: FormPart = { type: 'form', fields: pairs.map(([name, value]) => ({ name, value })) };
  return formId === undefined ? part : { ...part, formId };
}

/**
 * Turns a web form submission into an inbound message: every field in a `form` part, the message
 * field also as a text part, the email and phone fields as unverified identities (the first present
 * is `from`), the name field as the display name and the submission id as the dedupe key.
 *
 * @throws ValidationError naming the field: unparseable body, no email or phone, a malformed
 *   email or phone, a value too long.
 */
export async function parseSubmission(settings: WebformSettings, raw: RawRequest): Promise<InboundMessage> {
  const pairs = (await readFields(raw)).filter(([name]) => name !== '');
  const fields = firstValues(pairs);
  const names = settings.fields;
  const identities = [
    contactIdentity(fields, names.email, 'email', settings),
    contactIdentity(fields, names.phone, 'phone', settings),
  ].filter((identity) => identity !== undefined);
  const [from, ...others] = identities;
  if (!from)
    throw invalid([names.email], `an email (${names.email}) or phone (${names.phone}) field is required`);
  const text = bounded(fields, names.message, MAX_TEXT_LENGTH);
  const parts: Part[] = text === undefined ? [] : [{ type: 'text', text }];
  parts.push(formPart(pairs, fields, settings));
  const message: InboundMessage = { channel: settings.channel, channelKind: 'webform', from, parts };
  if (others.length > 0) message.identities = others;
  const displayName = bounded(fields, names.name, 256);
  if (displayName !== undefined) message.displayName = displayName;
  const subject = bounded(fields, names.subject, 1024);
  if (subject !== undefined) message.subject = subject;
  const externalId = bounded(fields, settings.submissionIdField, 1024);
  if (externalId !== undefined) message.externalId = externalId;
  return message;
}

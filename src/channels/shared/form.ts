import { ValidationError } from '../../model/errors.js';

type UrlEncoded = { pairs: [string, string][]; fields: Record<string, string> };

/** One name or value: `+` is a space, then percent-decoding; undefined when that is not valid UTF-8. */
function decodeFormComponent(text: string): string | undefined {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return undefined;
  }
}

/** Any UTF-16 surrogate: a body holding one (raw, not percent-encoded) is left to the platform's parser. */
const surrogate = /[\uD800-\uDFFF]/;

/**
 * Parses an `application/x-www-form-urlencoded` body into ordered pairs and a first-value map, as
 * the URL Standard does. Well-formed bodies (every webhook a provider sends) are split here, which
 * is several times faster than `URLSearchParams`; a body with an invalid percent-escape or a raw
 * surrogate goes to `URLSearchParams`, whose lenient decoding then decides.
 */
export function parseUrlEncoded(body: string): UrlEncoded {
  if (surrogate.test(body)) return withFields([...new URLSearchParams(body)]);
  const pairs: [string, string][] = [];
  for (let start = 0; start < body.length; ) {
    let end = body.indexOf('&', start);
    if (end < 0) end = body.length;
    if (end > start) {
      const eq = body.indexOf('=', start);
      const cut = eq >= 0 && eq < end ? eq : end;
      const name = decodeFormComponent(body.slice(start, cut));
      const value = cut < end ? decodeFormComponent(body.slice(cut + 1, end)) : '';
      if (name === undefined || value === undefined) return withFields([...new URLSearchParams(body)]);
      pairs.push([name, value]);
    }
    start = end + 1;
  }
  return withFields(pairs);
}

function withFields(pairs: [string, string][]): UrlEncoded {
  const fields: Record<string, string> = {};
  for (const [key, value] of pairs) if (!Object.hasOwn(fields, key)) fields[key] = value;
  return { pairs, fields };
}

const parsedForms = new WeakMap<object, { body: string; parsed: UrlEncoded }>();

/**
 * {@link parseUrlEncoded} of a request's body, parsed once per request object and body: a
 * channel's signature check and its parser read the same fields.
 */
export function urlEncodedBodyOf(raw: { readonly body: string }): UrlEncoded {
  const cached = parsedForms.get(raw);
  if (cached && cached.body === raw.body) return cached.parsed;
  const parsed = parseUrlEncoded(raw.body);
  parsedForms.set(raw, { body: raw.body, parsed });
  return parsed;
}

/** One file of a multipart body. */
export interface MultipartFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
}

/**
 * Parses a `multipart/form-data` body with the platform's own parser (undici in Node, the
 * browser's in workers), so no parser of ours sits between the provider and the fields.
 */
export async function parseMultipart(
  body: string,
  contentType: string,
): Promise<{ fields: Record<string, string>; files: MultipartFile[] }> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch (cause) {
    throw new ValidationError(
      'multipart body',
      [{ path: [], message: 'not a parseable multipart/form-data body' }],
      {
        cause,
      },
    );
  }
  const fields: Record<string, string> = {};
  const files: MultipartFile[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') {
      if (!Object.hasOwn(fields, name)) fields[name] = value;
    } else {
      files.push({ field: name, filename: value.name, contentType: value.type, size: value.size });
    }
  }
  return { fields, files };
}

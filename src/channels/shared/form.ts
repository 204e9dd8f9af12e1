import { ValidationError } from '../../model/errors.js';

/** Parses an `application/x-www-form-urlencoded` body into ordered pairs and a first-value map. */
export function parseUrlEncoded(body: string): { pairs: [string, string][]; fields: Record<string, string> } {
  const pairs = [...new URLSearchParams(body)];
  const fields: Record<string, string> = {};
  for (const [key, value] of pairs) if (!(key in fields)) fields[key] = value;
  return { pairs, fields };
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
      if (!(name in fields)) fields[name] = value;
    } else {
      files.push({ field: name, filename: value.name, contentType: value.type, size: value.size });
    }
  }
  return { fields, files };
}

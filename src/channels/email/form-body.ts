import type { RawRequest } from '../../core/channel.js';
import { ValidationError } from '../../model/errors.js';
import { type MultipartFile, parseMultipart, parseUrlEncoded } from '../shared/form.js';

/** The fields and file metadata of a form POST. */
export interface FormBody {
  fields: Record<string, string>;
  files: MultipartFile[];
}

/**
 * Reads a `multipart/form-data` or `application/x-www-form-urlencoded` webhook body. Multipart
 * bodies with bare LF line endings (SendGrid's own published samples) are converted to CRLF
 * first, since the platform parser follows RFC 7578 strictly. Throws `ValidationError` for any
 * other content type or an unparseable body.
 */
export async function readFormBody(what: string, raw: RawRequest): Promise<FormBody> {
  const contentType = raw.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'multipart/form-data') {
    const body = raw.body.includes('\r\n') ? raw.body : raw.body.replace(/\n/g, '\r\n');
    return parseMultipart(body, contentType);
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    return { fields: parseUrlEncoded(raw.body).fields, files: [] };
  }
  throw new ValidationError(what, [
    {
      path: ['content-type'],
      message: `expected multipart/form-data or application/x-www-form-urlencoded, got ${JSON.stringify(contentType)}`,
    },
  ]);
}

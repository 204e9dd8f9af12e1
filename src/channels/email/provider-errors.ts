/**
 * Reads the code and message out of an email provider's JSON error body: Postmark
 * `{ErrorCode, Message}`, SendGrid `{errors: [{message, field}]}`, Mailgun `{message}`.
 */
export function describeErrorBody(body: unknown): { code?: string; message?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const record = body as { ErrorCode?: unknown; Message?: unknown; message?: unknown; errors?: unknown };
  const described: { code?: string; message?: string } = {};
  if (typeof record.ErrorCode === 'number' || typeof record.ErrorCode === 'string') {
    described.code = String(record.ErrorCode);
  }
  const first = Array.isArray(record.errors)
    ? (record.errors[0] as { message?: unknown; field?: unknown })
    : undefined;
  const message = record.Message ?? record.message ?? first?.message;
  if (typeof message === 'string') {
    described.message = typeof first?.field === 'string' ? `${message} (${first.field})` : message;
  }
  return described;
}

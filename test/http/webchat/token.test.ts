import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signIdentityToken, verifyIdentityToken } from '../../../src/http/token.js';
import { SignatureError, ValidationError } from '../../../src/model/errors.js';

const secret = 'host-secret-0123456789abcdef';
const now = Date.parse('2026-11-25T08:00:00Z');
const exp = now / 1000 + 600;

/** An independent oracle: the token format computed with node:crypto. */
function nodeToken(payload: object, key = secret): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

describe('identity tokens', () => {
  it('signs exactly as base64url(payload).base64url(HMAC-SHA256) and verifies back', async () => {
    const payload = { sub: 'user-42', email: 'ann@example.com', name: 'Ann Lee', exp };
    const token = await signIdentityToken(payload, secret);
    expect(token).toBe(nodeToken(payload));
    await expect(verifyIdentityToken(token, secret, { now })).resolves.toEqual(payload);
  });

  it('verifies a token a host signed with node:crypto, ignoring extra claims', async () => {
    const token = nodeToken({ sub: 'u1', exp, iat: exp - 60, role: 'admin' });
    await expect(verifyIdentityToken(token, secret, { now })).resolves.toEqual({ sub: 'u1', exp });
  });

  it('refuses tampered, unsigned, wrongly keyed and expired tokens with SignatureError', async () => {
    const token = nodeToken({ sub: 'u1', exp });
    const [body, signature] = token.split('.') as [string, string];
    const other = Buffer.from(JSON.stringify({ sub: 'admin', exp })).toString('base64url');
    const cases: [string, string][] = [
      [`${other}.${signature}`, 'identity token: signature does not match'],
      [body, 'identity token: malformed or unsigned (expected <payload>.<signature>)'],
      [`${body}.`, 'identity token: malformed or unsigned (expected <payload>.<signature>)'],
      [`${body}.${signature}.x`, 'identity token: malformed or unsigned (expected <payload>.<signature>)'],
      [nodeToken({ sub: 'u1', exp }, 'wrong-secret-0123456789'), 'identity token: signature does not match'],
      [nodeToken({ sub: 'u1', exp: now / 1000 }), 'identity token: expired'],
      ['', 'identity token: no token given'],
    ];
    for (const [candidate, message] of cases) {
      await expect(verifyIdentityToken(candidate, secret, { now })).rejects.toThrow(
        new SignatureError(message),
      );
    }
  });

  it('refuses a correctly signed payload with a malformed field, naming it', async () => {
    const missingExp = verifyIdentityToken(nodeToken({ sub: 'u1' }), secret, { now });
    await expect(missingExp).rejects.toBeInstanceOf(ValidationError);
    await expect(missingExp).rejects.toMatchObject({ field: 'exp' });
    await expect(
      verifyIdentityToken(nodeToken({ sub: 'u1', exp, email: 'nope' }), secret, { now }),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'email',
    });
    await expect(
      verifyIdentityToken(
        `${Buffer.from('not json').toString('base64url')}.${createHmac('sha256', secret).update(Buffer.from('not json').toString('base64url')).digest('base64url')}`,
        secret,
        { now },
      ),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('refuses to sign without exp or with a short secret', async () => {
    await expect(signIdentityToken({ sub: 'u1' } as never, secret)).rejects.toMatchObject({ field: 'exp' });
    await expect(signIdentityToken({ sub: 'u1', exp }, 'short')).rejects.toMatchObject({ field: 'secret' });
  });
});

import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signIdentityToken, verifyIdentityToken } from '../../../src/http/token.js';
import { SignatureError } from '../../../src/model/errors.js';

const secret = 'host-secret-0123456789abcdef';
const now = Date.parse('2026-11-25T08:00:00Z');
const nowSec = now / 1000;

/** The token format computed with node:crypto, so the payload can hold what signIdentityToken refuses. */
function nodeToken(payload: object): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

describe('identity token times', () => {
  it('a token is refused before its nbf and accepted from then on', async () => {
    const token = nodeToken({ sub: 'u1', nbf: nowSec + 60, exp: nowSec + 600 });
    await expect(verifyIdentityToken(token, secret, { now })).rejects.toThrow(
      new SignatureError('identity token: not valid yet (nbf is 60 s ahead)'),
    );
    await expect(verifyIdentityToken(token, secret, { now: now + 60_000 })).resolves.toEqual({
      sub: 'u1',
      nbf: nowSec + 60,
      exp: nowSec + 600,
    });
  });

  it('an exp or nbf in milliseconds (more than 10 years ahead) is refused, saying so', async () => {
    const cases: [object, string][] = [
      [{ sub: 'u1', exp: now + 600_000 }, 'exp'],
      [{ sub: 'u1', nbf: now, exp: nowSec + 600 }, 'nbf'],
    ];
    for (const [payload, field] of cases) {
      await expect(verifyIdentityToken(nodeToken(payload), secret, { now })).rejects.toThrow(
        new SignatureError(
          `identity token: ${field} is more than 10 years ahead; give it in epoch seconds, not milliseconds`,
        ),
      );
    }
    const inNineYears = nowSec + 9 * 365 * 86_400;
    await expect(
      verifyIdentityToken(nodeToken({ sub: 'u1', exp: inNineYears }), secret, { now }),
    ).resolves.toEqual({ sub: 'u1', exp: inNineYears });
  });

  it('signIdentityToken refuses times it would sign wrongly, naming the field, and signs nbf', async () => {
    const sign = (payload: object) => signIdentityToken(payload as never, secret, { now });
    await expect(sign({ sub: 'u1', exp: now + 600_000 })).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'exp',
    });
    await expect(sign({ sub: 'u1', nbf: now, exp: nowSec + 600 })).rejects.toMatchObject({ field: 'nbf' });
    await expect(sign({ sub: 'u1', nbf: nowSec + 600, exp: nowSec + 600 })).rejects.toMatchObject({
      field: 'nbf',
    });
    const token = await sign({ sub: 'u1', nbf: nowSec - 30, exp: nowSec + 600 });
    expect(token).toBe(nodeToken({ sub: 'u1', exp: nowSec + 600, nbf: nowSec - 30 }));
    await expect(verifyIdentityToken(token, secret, { now })).resolves.toMatchObject({ nbf: nowSec - 30 });
  });
});

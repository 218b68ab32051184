import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { createAccessTokens } from '../src/modules/auth/access-tokens.ts';

const SECRET = 'k'.repeat(48);

describe('access tokens: verified tokens remembered', () => {
  it('a remembered token still expires on time', async (t) => {
    const tokens = createAccessTokens(SECRET, 60);
    const userId = randomUUID();
    const token = await tokens.sign(userId);
    assert.deepEqual(tokens.verify(token), { userId });
    assert.deepEqual(tokens.verify(token), { userId }, 'again, from memory');
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 59_000 });
    assert.deepEqual(tokens.verify(token), { userId }, 'a second before expiry');
    t.mock.timers.setTime(Date.now() + 2_000);
    assert.equal(tokens.verify(token), null, 'expired, though remembered');
    assert.equal(tokens.verify(token), null, 'and stays refused');
  });

  it('a token one character away from a remembered one is checked in full and refused', async () => {
    const tokens = createAccessTokens(SECRET, 60);
    const token = await tokens.sign(randomUUID());
    assert.ok(tokens.verify(token));
    const [head, body, signature] = token.split('.') as [string, string, string];
    const flipped = signature[5] === 'A' ? 'B' : 'A';
    assert.equal(
      tokens.verify(`${head}.${body}.${signature.slice(0, 5)}${flipped}${signature.slice(6)}`),
      null,
    );
    assert.equal(tokens.verify(`${token}x`), null);
    // Another server's key: a token it signed is not ours, remembered or not.
    const other = createAccessTokens('o'.repeat(48), 60);
    assert.equal(other.verify(token), null);
  });

  it('past its capacity it forgets the oldest tokens, which still verify in full', async () => {
    const tokens = createAccessTokens(SECRET, 60);
    const users = Array.from({ length: 2100 }, () => randomUUID());
    const signed = await Promise.all(users.map((u) => tokens.sign(u)));
    for (const token of signed) assert.ok(tokens.verify(token));
    for (const [i, token] of signed.entries()) assert.deepEqual(tokens.verify(token), { userId: users[i] });
  });
});

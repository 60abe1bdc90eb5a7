import { describe, expect, it } from 'vitest';
import { checkPassword } from '../../../src/modules/auth/password-policy.js';
import { passwordStrength } from '../../../src/modules/auth/password-strength.js';

describe('password strength (zxcvbn in a worker thread)', () => {
  it('scores common and personal passwords low and random ones high', async () => {
    expect((await passwordStrength('password1234', [])).score).toBeLessThan(3);
    expect((await passwordStrength('jana.novakova1', ['jana.novakova'])).score).toBeLessThan(3);
    expect((await passwordStrength('vq8#Lm2!zRt5@wPe', [])).score).toBe(4);
  });

  it('answers many concurrent checks each with its own verdict', async () => {
    const passwords = Array.from({ length: 40 }, (_, i) => (i % 2 ? `qwertyuiop${i}` : `T7#kd9!xQ2mZ${i}vB`));
    const verdicts = await Promise.all(passwords.map((p) => passwordStrength(p, [])));
    verdicts.forEach((verdict, i) => {
      if (i % 2) expect(verdict.score, passwords[i]).toBeLessThan(3);
      else expect(verdict.score, passwords[i]).toBe(4);
    });
  });

  it('names every reason a password is refused', async () => {
    expect(await checkPassword('short', { email: 'a@b.cz' })).toEqual([
      'must be at least 12 characters long',
    ]);
    const problems = await checkPassword('jana-loves-ledgers', {
      email: 'jana@example.cz',
      name: 'Jana Novák',
    });
    expect(problems).toContain('must not contain your email address, your name or your firm name');
    expect(await checkPassword('vq8#Lm2!zRt5@wPe', { email: 'jana@novakova.cz' })).toEqual([]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoized } from '../src/http/memo.ts';

describe('memoized', () => {
  it('computes once per argument, keeps at most max, and keeps nothing for a call that throws', () => {
    const calls: string[] = [];
    const length = memoized((text: string) => {
      calls.push(text);
      if (text === 'bad') throw new Error('refused');
      return text.length;
    }, 2);
    assert.equal(length('a'), 1);
    assert.equal(length('a'), 1);
    assert.equal(length('bb'), 2);
    assert.deepEqual(calls, ['a', 'bb'], 'the second "a" came from memory');
    assert.equal(length('ccc'), 3); // full: "a", the oldest, goes
    assert.equal(length('bb'), 2);
    assert.equal(length('a'), 1);
    assert.deepEqual(calls, ['a', 'bb', 'ccc', 'a']);
    assert.throws(() => length('bad'), /refused/);
    assert.throws(() => length('bad'), /refused/);
    assert.equal(calls.filter((c) => c === 'bad').length, 2, 'a throw is not remembered');
  });

  it('remembers a falsy answer (null, false) as an answer', () => {
    let calls = 0;
    const nothing = memoized(() => {
      calls += 1;
      return null;
    });
    assert.equal(nothing('x'), null);
    assert.equal(nothing('x'), null);
    assert.equal(calls, 1);
  });
});

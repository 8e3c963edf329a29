import { describe, expect, it } from 'vitest';
import { rememberLast } from '../../proxy/rememberLast.ts';

/** A function that counts its calls, and throws for arguments starting with "bad". */
function counted() {
  const calls: string[] = [];
  const compute = (argument: string) => {
    calls.push(argument);
    if (argument.startsWith('bad')) throw new Error(`bad argument ${argument}`);
    return { of: argument };
  };
  return { calls, compute };
}

describe('rememberLast', () => {
  it('answers an argument asked again with the same answer, without computing it again', () => {
    const { calls, compute } = counted();
    const remembered = rememberLast(3, compute);
    const first = remembered('a');
    expect(remembered('a')).toBe(first);
    expect(remembered('b')).toEqual({ of: 'b' });
    expect(calls).toEqual(['a', 'b']);
  });

  it('forgets the oldest argument first once it holds count of them', () => {
    const { calls, compute } = counted();
    const remembered = rememberLast(3, compute);
    for (const argument of ['a', 'b', 'c', 'd']) remembered(argument);
    remembered('b');
    remembered('c');
    remembered('d');
    remembered('a');
    expect(calls).toEqual(['a', 'b', 'c', 'd', 'a']);
  });

  it('never remembers a call that throws: it throws every time, and takes no place', () => {
    const { calls, compute } = counted();
    const remembered = rememberLast(2, compute);
    remembered('a');
    for (let i = 0; i < 3; i++) expect(() => remembered('bad-x')).toThrow('bad argument bad-x');
    remembered('b');
    remembered('a');
    expect(calls).toEqual(['a', 'bad-x', 'bad-x', 'bad-x', 'b']);
  });

  it('computes every time an argument that keep turns down', () => {
    const { calls, compute } = counted();
    const remembered = rememberLast(2, compute, (argument) => argument.length <= 3);
    remembered('long one');
    remembered('long one');
    remembered('abc');
    remembered('abc');
    expect(calls).toEqual(['long one', 'long one', 'abc']);
  });
});

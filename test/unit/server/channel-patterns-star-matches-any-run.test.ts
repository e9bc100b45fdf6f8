import { describe, expect, it } from 'vitest';
import { channelMatcher } from '../../../src/server/auth/channel-pattern.js';

describe('channel patterns of token claims', () => {
  it.each([
    ['news', 'news', true],
    ['news', 'newsroom', false],
    ['chat:*', 'chat:lobby', true],
    ['chat:*', 'chat:', true],
    ['chat:*', 'chatter', false],
    ['*', 'anything:at/all', true],
    ['user:*:inbox', 'user:alice:inbox', true],
    ['user:*:inbox', 'user:alice:outbox', false],
    ['*:public', 'a:b:public', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYc_', false],
    ['**', '', true],
    ['.+', 'aa', false], // no regular expression: every character but * is itself
  ])('%s against %s: %s', (pattern, channel, expected) => {
    expect(channelMatcher(pattern)(channel)).toBe(expected);
  });

  it('answers a pathological pattern against a 200-character name without blowing up', () => {
    const pattern = `${'*a'.repeat(50)}b`;
    expect(channelMatcher(pattern)('a'.repeat(200))).toBe(false);
  });
});

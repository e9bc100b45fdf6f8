/**
 * A test for channel names against a pattern from a token's claims: `*` matches any run of characters
 * (none included), everything else matches itself. `chat:*` matches `chat:lobby`; `*` matches every
 * channel. The classic two-pointer glob match (no regular expression, so no backtracking blow-up
 * whatever the pattern): at most pattern × name steps.
 */
export function channelMatcher(pattern: string): (channel: string) => boolean {
  if (!pattern.includes('*')) return (channel) => channel === pattern;
  return (channel) => globMatch(pattern, channel);
}

function globMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  /** Position of the last `*` seen, and where in the name its match currently ends. */
  let star = -1;
  let starEnd = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p;
      starEnd = n;
      p++;
    } else if (p < pattern.length && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (star >= 0) {
      // Let the last `*` take one more character, and retry what follows it.
      starEnd++;
      n = starEnd;
      p = star + 1;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

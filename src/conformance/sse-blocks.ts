/**
 * Splits a growing Server-Sent Events text into its blocks (an event or comments, ended by a blank
 * line): each complete block goes to `block`; the unfinished rest is returned to be continued.
 */
export function takeBlocks(buffer: string, block: (text: string) => void): string {
  const parts = buffer.split('\n\n');
  const rest = parts.pop()!;
  for (const part of parts) block(part);
  return rest;
}

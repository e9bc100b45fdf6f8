/** Channel names: 1–200 printable ASCII characters, no spaces. */
const CHANNEL_NAME = /^[\x21-\x7e]{1,200}$/;

export function isValidChannelName(name: unknown): name is string {
  return typeof name === 'string' && CHANNEL_NAME.test(name);
}

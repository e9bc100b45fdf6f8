/**
 * A WebSocket message, the HTTP body of a `hello` or an upstream POST carries one or more client frames separated by `\n`
 * (client frames are compact JSON, which never contains a raw newline); each goes to `receive` in order. Text without a newline
 * goes as it is (an empty one too: the controller refuses it); empty lines between frames are skipped.
 */
export function eachFrame(text: string, receive: (frame: string) => void): void {
  if (!text.includes('\n')) return receive(text);
  for (const line of text.split('\n')) if (line !== '') receive(line);
}

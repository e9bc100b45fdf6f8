/** A `pong` answering the upgrade probe's ping (id 0). */
export function isPong(text: string): boolean {
  try {
    const frame = JSON.parse(text) as { t?: unknown; id?: unknown };
    return frame.t === 'pong' && frame.id === 0;
  } catch {
    return false;
  }
}

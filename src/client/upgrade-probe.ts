/** A `pong` answering the upgrade probe's ping (`{"t":"ping","id":0}`, sent before the handshake; see the client's startProbe). */
export function isPong(text: string): boolean {
  try {
    const frame = JSON.parse(text) as { t?: unknown; id?: unknown };
    return frame.t === 'pong' && frame.id === 0;
  } catch {
    return false;
  }
}

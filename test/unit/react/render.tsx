import { type ReactNode, StrictMode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import type { PushwireClient } from '../../../src/client/index.js';
import { PushwireProvider } from '../../../src/react/index.js';
import { closeAfterTest } from '../../support/close-after-test.js';

const roots: Root[] = [];

/** Renders into a fresh container of happy-dom's document; `unmountAll()` cleans up, as `closeAll()` does after the test. */
export function render(element: ReactNode): Root {
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  root.render(element);
  roots.push(root);
  return closeAfterTest(root, unmountAll);
}

/** `render` inside a PushwireProvider for `client`; `strict` wraps it in StrictMode (effects run twice, as in development). */
export function renderWithClient(client: PushwireClient, element: ReactNode, { strict = false } = {}): Root {
  const tree = <PushwireProvider client={client}>{element}</PushwireProvider>;
  return render(strict ? <StrictMode>{tree}</StrictMode> : tree);
}

export function unmountAll(): void {
  for (const root of roots.splice(0)) root.unmount();
  document.body.replaceChildren();
}

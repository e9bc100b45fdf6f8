import type { ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
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

export function unmountAll(): void {
  for (const root of roots.splice(0)) root.unmount();
  document.body.replaceChildren();
}

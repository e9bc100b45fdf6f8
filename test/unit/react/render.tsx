import type { ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';

const roots: Root[] = [];

/** Renders into a fresh container of happy-dom's document; `unmountAll()` cleans up. */
export function render(element: ReactNode): Root {
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  root.render(element);
  roots.push(root);
  return root;
}

export function unmountAll(): void {
  for (const root of roots.splice(0)) root.unmount();
  document.body.replaceChildren();
}

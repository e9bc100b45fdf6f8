import * as Pushwire from 'pushwire';
import { PushwireProvider } from 'pushwire/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createDemoClient } from '../shared/demo-client.js';
import { App } from './app.js';

const demo = createDemoClient(Pushwire, location);

// StrictMode on purpose: the hooks must cope with its double mounting.
createRoot(document.getElementById('app')!).render(
  <StrictMode>
    <PushwireProvider client={demo.client}>
      <App demo={demo} />
    </PushwireProvider>
  </StrictMode>,
);

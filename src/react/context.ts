import { createContext, createElement, type ReactNode, useContext } from 'react';
import type { PushwireClient } from 'pushwire';

const ClientContext = createContext<PushwireClient | null>(null);

export interface PushwireProviderProps {
  /** The client the hooks below use. The provider does not close it: the application owns it. */
  client: PushwireClient;
  children?: ReactNode;
}

/** Makes a Pushwire client available to `useConnection`, `useChannel` and `usePushwire` below it. */
export function PushwireProvider({ client, children }: PushwireProviderProps): ReactNode {
  return createElement(ClientContext.Provider, { value: client }, children);
}

/** The client from the nearest `PushwireProvider`; throws when there is none (a wiring mistake). */
export function usePushwire(): PushwireClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('pushwire/react: no client — wrap the component in <PushwireProvider client={…}>');
  return client;
}

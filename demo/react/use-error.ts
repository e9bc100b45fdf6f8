import { useCallback, useState } from 'react';

/** An error line for a card: `run` clears it, runs a request, and shows why it failed. */
export function useRequestError(): [string, (request: Promise<unknown>) => Promise<boolean>] {
  const [error, setError] = useState('');
  const run = useCallback(async (request: Promise<unknown>) => {
    setError('');
    try {
      await request;
      return true;
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : String(cause));
      return false;
    }
  }, []);
  return [error, run];
}

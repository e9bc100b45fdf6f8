/**
 * The local (source) addresses the load process's clients connect from, in turn (bench:scale spreads
 * its clients over several 127.x addresses, as many real clients come from many addresses). Empty:
 * the system picks (127.0.0.1).
 */
let addresses: string[] = [];
let next = 0;

export function useSourceAddresses(list: string[]): void {
  addresses = list;
  next = 0;
}

/** The address the next connection binds to, or undefined for the system's choice. */
export function nextSourceAddress(): string | undefined {
  if (addresses.length === 0) return undefined;
  const address = addresses[next % addresses.length];
  next++;
  return address;
}

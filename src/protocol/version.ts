/** The wire protocol version. It travels in the `hello` frame; a server answers any other value with close code 4100. */
export const PROTOCOL_VERSION = 1;

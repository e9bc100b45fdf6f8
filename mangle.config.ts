/**
 * The client's internal members (private/protected, and the members of internal classes such as the
 * outbox) are named with a trailing underscore, e.g. `pipe_`; the build renames every such property to
 * a short name, since a minifier can't shorten property names on its own. Public API names and wire
 * fields never end in `_`. Used by tsup.config.ts and by bench/bundle.ts, so the size measured is the
 * size shipped.
 */
export const MANGLED_PROPERTIES = /^[a-z][A-Za-z0-9]*_$/;

const encoder = /* @__PURE__ */ new TextEncoder();

/** Bytes of `text` in UTF-8 (what the server counts against its limits). */
export const utf8Length = (text: string): number => encoder.encode(text).length;

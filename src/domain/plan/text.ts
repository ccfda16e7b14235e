// Plan bytes → text, strictly: a plan is UTF-8, and a byte that is not (a file saved as Latin-1 or
// UTF-16) is reported where it is instead of silently becoming U+FFFD, which would then show up
// as a puzzling "invalid name" or, worse, pass. Pure (TextDecoder is a global).

export type Decoded =
  | { ok: true; text: string }
  | {
      ok: false;
      /** 1-based line and column (in characters) of the offending byte. */
      line: number;
      column: number;
      /** Offset of the offending byte (absent for a UTF-16 file). */
      byteOffset?: number;
      message: string;
      fix: string;
    };

const strict = new TextDecoder('utf-8', { fatal: true });

export function decodePlanBytes(bytes: Uint8Array): Decoded {
  try {
    return { ok: true, text: strict.decode(bytes) };
  } catch {
    // The decoder says only that something is wrong; find the byte.
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return {
      ok: false,
      line: 1,
      column: 1,
      message: 'the plan file is UTF-16 (it starts with a UTF-16 byte order mark): asrflow reads UTF-8',
      fix: 'save the file as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)',
    };
  }
  const offset = firstInvalidUtf8(bytes);
  const { line, column } = positionOfByte(bytes, offset);
  const byte = bytes[offset] ?? 0;
  const hex = `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  const latin1 = byte >= 0xa0 ? ` (in Latin-1 it would be '${String.fromCharCode(byte)}')` : '';
  return {
    ok: false,
    byteOffset: offset,
    line,
    column,
    message: `byte ${hex} is not valid UTF-8${latin1}: a plan file is UTF-8`,
    fix: 'save the file as UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8), or retype the character',
  };
}

/** 1-based line and column (in characters) of the byte at `offset`. */
export function positionOfByte(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let lineStart = 0;
  let line = 1;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line += 1;
      lineStart = i + 1;
    }
  }
  let column = 1;
  // Characters before the byte on its line: every byte that does not continue a character.
  for (let i = lineStart; i < offset; i++) if (((bytes[i] ?? 0) & 0xc0) !== 0x80) column += 1;
  return { line, column };
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    // Lead byte: how many continuation bytes, and the allowed range of the first one (which rules
    // out overlong forms, UTF-16 surrogates and code points above U+10FFFF).
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return bytes.length;
}

/**
 * Offset (in UTF-16 code units) of the first character of `text` whose UTF-8 encoding ends past
 * `limit` bytes, or undefined when the whole text fits. Counts without encoding the text.
 */
export function offsetPastBytes(text: string, limit: number): number | undefined {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const start = i;
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i += 1;
    } else n += 3;
    if (n > limit) return start;
  }
  return undefined;
}

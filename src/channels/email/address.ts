import { decodeEncodedWords } from './headers.js';

/** One mailbox: an address and its display name, if any. */
export interface EmailAddress {
  /** The address, trimmed and lowercased. */
  address: string;
  /** The display name, unquoted and RFC 2047-decoded. */
  name?: string;
}

/** Splits a header value on commas that are outside quotes, angle brackets and comments. */
function splitList(value: string): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char === '\\' && quoted) {
      current += char + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '<' || char === '(')) depth++;
    else if (!quoted && (char === '>' || char === ')')) depth = Math.max(0, depth - 1);
    if (char === ',' && !quoted && depth === 0) {
      items.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  items.push(current);
  return items.map((item) => item.trim()).filter((item) => item.length > 0);
}

function cleanName(raw: string): string | undefined {
  let name = raw.trim();
  if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) {
    name = name.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  name = decodeEncodedWords(name).trim();
  return name.length > 0 ? name : undefined;
}

/**
 * Parses one mailbox: `"Name" <a@b>`, `Name <a@b>`, `a@b (Name)` or a bare `a@b`. Returns
 * undefined when no address-like token (`x@y`) is found.
 */
export function parseAddress(value: string): EmailAddress | undefined {
  const angle = /^(.*)<([^<>]*)>\s*$/s.exec(value.trim());
  if (angle) {
    const address = angle[2]!.trim().toLowerCase();
    if (!address.includes('@')) return undefined;
    const name = cleanName(angle[1]!);
    return name ? { address, name } : { address };
  }
  const comment = /^([^\s()]+)\s*\((.*)\)\s*$/s.exec(value.trim());
  const bare = (comment ? comment[1]! : value).trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(bare)) return undefined;
  const name = comment ? cleanName(comment[2]!) : undefined;
  return name ? { address: bare, name } : { address: bare };
}

/** Parses an address list header (`To`, `Cc`), skipping entries that hold no address. */
export function parseAddressList(value: string): EmailAddress[] {
  return splitList(value)
    .map(parseAddress)
    .filter((entry): entry is EmailAddress => entry !== undefined);
}

/** Formats a mailbox for a header or an API field: `"Name" <a@b>`, or the bare address. */
export function formatAddress(mailbox: EmailAddress): string {
  if (!mailbox.name) return mailbox.address;
  return `"${mailbox.name.replace(/(["\\])/g, '\\$1')}" <${mailbox.address}>`;
}

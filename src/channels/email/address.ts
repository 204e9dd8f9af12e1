import { cleanHeaderText, decodeEncodedWords } from './headers.js';

/** One mailbox: an address and its display name, if any. */
export interface EmailAddress {
  /** The address, trimmed and lowercased. */
  address: string;
  /** The display name, unquoted and RFC 2047-decoded. */
  name?: string;
}

/**
 * Splits an address list on commas outside quotes, angle brackets and comments. A `;` there ends
 * a group (RFC 5322 section 3.4: `Team: a@x, b@y;`) and splits like a comma; the group's name is
 * dropped by {@link parseAddress}.
 */
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
    if ((char === ',' || char === ';') && !quoted && depth === 0) {
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

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const controlChar = /[\u0000-\u001f\u007f]/;

/** RFC 5322 dot-atom text (non-ASCII allowed, RFC 6531): what a local part needs no quotes for. */
const dotAtom = /^[^\s"(),.:;<>@[\\\]]+(?:\.[^\s"(),.:;<>@[\\\]]+)*$/;

/**
 * The address with a quoted local part unquoted when the quotes are needless
 * (`"john.doe"@x` is `john.doe@x`, RFC 5321 section 4.1.2); other addresses unchanged.
 */
function unquoteLocalPart(address: string): string {
  const quoted = /^"([^"\\]+)"(@[^@]+)$/.exec(address);
  return quoted && dotAtom.test(quoted[1]!) ? quoted[1]! + quoted[2]! : address;
}

/**
 * Parses one mailbox: `"Name" <a@b>`, `Name <a@b>`, `a@b (Name)` or a bare `a@b` (also as the
 * first member of a group, `Team: a@b`; needless quotes around a local part are dropped).
 * Returns undefined when no address-like token (`x@y`) is found, or when the address holds a
 * control character (no mailbox does; it would become a customer identity and the To of replies).
 */
export function parseAddress(value: string): EmailAddress | undefined {
  const angle = /^(.*)<([^<>]*)>\s*$/s.exec(value.trim());
  if (angle) {
    const address = unquoteLocalPart(angle[2]!.trim().toLowerCase());
    if (!address.includes('@') || controlChar.test(address)) return undefined;
    const name = cleanName(angle[1]!);
    return name ? { address, name } : { address };
  }
  // A group's first member (`Team: a@x`, `undisclosed-recipients:`): the group name goes.
  const member = value.trim().replace(/^[^"<>@:]*:/, '');
  const comment = /^([^\s()]+)\s*\((.*)\)\s*$/s.exec(member.trim());
  const bare = unquoteLocalPart((comment ? comment[1]! : member).trim().toLowerCase());
  if (!/^[^\s@]+@[^\s@]+$/.test(bare) || controlChar.test(bare)) return undefined;
  const name = comment ? cleanName(comment[2]!) : undefined;
  return name ? { address: bare, name } : { address: bare };
}

/** Parses an address list header (`To`, `Cc`), skipping entries that hold no address. */
export function parseAddressList(value: string): EmailAddress[] {
  return splitList(value)
    .map(parseAddress)
    .filter((entry): entry is EmailAddress => entry !== undefined);
}

/** Characters of a From field read: a real one is well under 1 KB, and anyone can send megabytes. */
const SENDER_SCAN = 16 * 1024;

/** The sender of an email, from its From field. */
export interface Sender {
  /** The first mailbox of the field. */
  mailbox: EmailAddress;
  /** True when the field names more than one address (`From: a@x, b@y`, a group). */
  several: boolean;
}

/**
 * The sender in a From field: its first mailbox (RFC 5322 allows several, with a Sender field
 * naming the one who sent), or undefined when the field holds none. A From naming several
 * addresses is flagged: the provider's SPF or DKIM verdict cannot vouch for each of them.
 */
export function parseSender(value: string | undefined): Sender | undefined {
  const found = splitList((value ?? '').slice(0, SENDER_SCAN))
    .map(parseAddress)
    .filter((entry): entry is EmailAddress => entry !== undefined);
  if (found.length === 0) return undefined;
  const several = new Set(found.map((entry) => entry.address)).size > 1;
  return { mailbox: found[0]!, several };
}

/**
 * Formats a mailbox for a header or an API field: `"Name" <a@b>`, or the bare address. The name
 * is made one line (control characters become spaces): a line break in it would end the From
 * header.
 */
export function formatAddress(mailbox: EmailAddress): string {
  const name = mailbox.name ? cleanHeaderText(mailbox.name).trim() : '';
  if (!name) return mailbox.address;
  return `"${name.replace(/(["\\])/g, '\\$1')}" <${mailbox.address}>`;
}

import { cp1252Char } from './charset.js';
import { namedEntities } from './html-entities.js';

/**
 * Plain text from an HTML email body, for mail that arrives without a text/plain part. Quoted
 * history is cut at the markers mail clients put around it (Gmail's `gmail_quote`, Outlook's
 * `divRplyFwdMsg`/`appendonsend`, Yahoo's `yahoo_quote`, Thunderbird's `moz-cite-prefix`,
 * `<blockquote>`) before the tags are removed. Anyone can send HTML: every step is one linear
 * scan of at most the first 512 KB.
 */

const maxHtml = 512 * 1024;

const basicEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * A numeric character reference as HTML reads it: 0, a surrogate or a code point beyond Unicode
 * is U+FFFD (a lone surrogate would make the stored text invalid UTF-8), and 128-159 are the
 * Windows-1252 characters older mail programs meant.
 */
function numericEntity(code: number): string {
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
  if (code >= 0x80 && code < 0xa0) return cp1252Char(code);
  return String.fromCodePoint(code);
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z][a-z0-9]{1,31});/gi, (match, name: string) => {
    if (name[0] === '#') {
      const hex = name[1] === 'x' || name[1] === 'X';
      return numericEntity(hex ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1)));
    }
    // A no-break space is a space in plain text.
    if (name === 'nbsp') return ' ';
    return namedEntities.get(name) ?? basicEntities[name.toLowerCase()] ?? match;
  });
}

// A `<div` or `<blockquote` start tag and up to 1,000 characters of its attributes.
const markerTag = /<(div|blockquote)\b([^<>]{0,1000})/gi;
const attribute = /\b(class|id)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi;

function isQuoteMarker(tag: string, attributes: string): boolean {
  if (tag.toLowerCase() === 'blockquote') return true;
  for (const match of attributes.matchAll(attribute)) {
    const value = (match[2] ?? match[3] ?? match[4] ?? '').toLowerCase();
    const marker =
      match[1]!.toLowerCase() === 'class'
        ? /gmail_quote|yahoo_quote|moz-cite-prefix/.test(value)
        : /^(divrplyfwdmsg|appendonsend)/.test(value);
    if (marker) return true;
  }
  return false;
}

/**
 * Cuts HTML at the first quoted-history marker (within the first 512 KB, all that becomes text).
 * Tags are found by one scan and their attributes read apart: the former patterns
 * (`<div[^>]{0,200}class=...{0,100}gmail_quote`) backtracked through every `<div class=` of a
 * body, about a second per megabyte of them.
 */
export function cutHtmlQuote(html: string): string {
  const clipped = html.length > maxHtml ? html.slice(0, maxHtml) : html;
  for (const match of clipped.matchAll(markerTag)) {
    if (isQuoteMarker(match[1]!, match[2]!)) return clipped.slice(0, match.index);
  }
  return clipped;
}

/**
 * Removes comments (Outlook's `<!--[if mso]>` blocks too) and `<style>`, `<script>`, `<head>` and
 * `<title>` elements with their content, in one scan. An element or comment left open runs to the
 * end, as a browser reads it.
 */
function dropInvisible(html: string): string {
  let out = '';
  let position = 0;
  const lower = html.toLowerCase();
  const opener = /<!--|<(style|script|head|title)\b/g;
  for (let match = opener.exec(lower); match; match = opener.exec(lower)) {
    out += html.slice(position, match.index);
    const closer = match[1] ? `</${match[1]}` : '-->';
    const close = lower.indexOf(closer, match.index + match[0].length);
    if (close < 0) return out;
    const end = match[1] ? lower.indexOf('>', close) : close + 2;
    position = end < 0 ? html.length : end + 1;
    opener.lastIndex = position;
  }
  return out + html.slice(position);
}

/** Converts HTML to readable plain text (block tags become line breaks). Never throws. */
export function htmlToText(html: string): string {
  const text = decodeEntities(
    dropInvisible(html.slice(0, maxHtml))
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/(p|div|li|tr|h[1-6])\s*>/gi, '\n')
      .replace(/<[^<>]*>/g, ''),
  );
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

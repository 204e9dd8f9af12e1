/**
 * Plain text from an HTML email body, for mail that arrives without a text/plain part. Quoted
 * history is cut at the markers mail clients put around it (Gmail's `gmail_quote`, Outlook's
 * `divRplyFwdMsg`/`appendonsend`, Yahoo's `yahoo_quote`, Thunderbird's `moz-cite-prefix`,
 * `<blockquote>`) before the tags are removed.
 */

const maxHtml = 512 * 1024;

const quoteMarkers = [
  /<div[^>]{0,200}class=["']?[^"'>]{0,100}gmail_quote/i,
  /<div[^>]{0,200}id=["']?(divRplyFwdMsg|appendonsend)/i,
  /<div[^>]{0,200}class=["']?[^"'>]{0,100}(yahoo_quote|moz-cite-prefix)/i,
  /<blockquote\b/i,
];

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (match, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
    }
    return entities[name.toLowerCase()] ?? match;
  });
}

/** Cuts HTML at the first quoted-history marker. */
export function cutHtmlQuote(html: string): string {
  let end = html.length;
  for (const marker of quoteMarkers) {
    const match = marker.exec(html);
    if (match && match.index < end) end = match.index;
  }
  return html.slice(0, end);
}

/** Removes `<style>`, `<script>` and `<head>` elements with their content (linear scan). */
function dropInvisible(html: string): string {
  let out = '';
  let position = 0;
  const lower = html.toLowerCase();
  const opener = /<(style|script|head)\b/g;
  for (let match = opener.exec(lower); match; match = opener.exec(lower)) {
    if (match.index < position) continue;
    out += html.slice(position, match.index);
    const close = lower.indexOf(`</${match[1]}`, match.index);
    if (close < 0) return out;
    const gt = lower.indexOf('>', close);
    position = gt < 0 ? html.length : gt + 1;
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

/**
 * Reply extraction: the part of an email the customer actually wrote, without the quoted
 * history below it and without the signature. The patterns cover the attribution lines,
 * separators and header blocks of common mail clients (Gmail, Outlook, Apple Mail, Thunderbird,
 * mobile mail) in English, German, French, Spanish, Italian, Dutch, Portuguese and the
 * Scandinavian languages; an attribution in another language is recognised by its shape (an
 * address, a final colon, a `>`-quoted block below). Every step is linear in the text.
 */

// "On <date>, <name> wrote:" and its translations. Gmail wraps long ones over two lines.
const attributionPatterns = [
  /^On\b.{1,400}\bwrote\s?:?$/i,
  /^Am\b.{1,400}\bschrieb\b.{0,300}:$/i,
  /^Le\b.{1,400}\ba [ée]crit\s?:?$/i,
  /^El\b.{1,400}\bescribi[óo]\s?:?$/i,
  /^Il\b.{1,400}\bha scritto\s?:?$/i,
  /^Op\b.{1,400}\bschreef\b.{0,300}:$/i,
  /^Em\b.{1,400}\bescreveu\s?:?$/i,
  /^(Den|På)\b.{1,400}\bskrev\b.{0,300}:$/i,
];

// "-----Original Message-----" (Outlook), "-------- Original Message --------" (Thunderbird).
const separatorPattern =
  /^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Originalnachricht|Message d'origine|Mensaje original|Messaggio originale|Oorspronkelijk bericht|Mensagem original)\s*-{2,}$/i;

// Outlook's header block: "From: ..." followed within a few lines by "Sent: ..." (or "Date:")
// and by "To:", "Cc:" or "Subject:", as every client writes it. Two fields alone are not enough:
// a customer's own "From: Berlin / Date: 12 May" would cut what they wrote.
const fromFieldPattern = /^\*?(From|Von|De|Da|Van|Från|Fra)\s?:\*?\s/i;
const sentFieldPattern =
  /^\*?(Sent|Date|Gesendet|Datum|Envoyé|Date d'envoi|Enviado|Fecha|Inviato|Data|Verzonden|Skickat|Sendt)\s?:\*?\s/i;
const toFieldPattern =
  /^\*?(To|Cc|Subject|An|Betreff|À|Objet|Para|Asunto|A|Oggetto|Aan|Onderwerp|Assunto|Till|Ämne|Til|Emne)\s?:\*?\s/i;

// Mobile and webmail footers that replace a signature.
const deviceFooterPattern =
  /^(Sent from my |Sent from Mail for Windows|Sent from Yahoo Mail|Sent from Outlook|Get Outlook for |Von meinem .{1,60} gesendet|Gesendet von meinem |Envoyé de mon |Envoyé depuis |Enviado desde mi |Enviado do meu |Inviato da |Verstuurd vanaf mijn |Skickat från min )/i;

const quotedLine = /^\s*>/;

/** Whether the first non-blank line at or after `index` is `>`-quoted. */
function quotedBelow(lines: string[], index: number): boolean {
  let i = index;
  while (i < lines.length && lines[i]!.trim().length === 0) i++;
  return i < lines.length && quotedLine.test(lines[i]!);
}

/**
 * An attribution in any language: a line naming an address and ending with a colon, right above
 * a `>`-quoted block. Polish `W dniu ... <a@b> pisze:`, Russian `пн, 23 нояб. 2026 г. в 16:12,
 * Name <a@b>:`, Japanese `2026年11月23日(月) 16:12 Name <a@b>:`, Chinese `... 写道：`.
 */
function isAddressedAttribution(text: string): boolean {
  return text.length <= 1_000 && /[:：]$/.test(text) && /\S@\S/.test(text);
}

/** How many lines the attribution at `index` takes: 0 (none), 1 or 2 (wrapped as Gmail does). */
function attributionSpan(lines: string[], index: number): number {
  const trimmed = lines[index]!.trim();
  if (trimmed.length === 0) return 0;
  if (attributionPatterns.some((pattern) => pattern.test(trimmed))) return 1;
  if (isAddressedAttribution(trimmed) && quotedBelow(lines, index + 1)) return 1;
  const next = lines[index + 1];
  if (next === undefined) return 0;
  const joined = `${trimmed} ${next.trim()}`;
  if (attributionPatterns.some((pattern) => pattern.test(joined))) return 2;
  // Wrapped inside the address (`Name <` / `a@b>:`), as Gmail wraps: not a sentence of the sender's.
  const wrapped = trimmed.lastIndexOf('<') > trimmed.lastIndexOf('>') && isAddressedAttribution(joined);
  return wrapped && quotedBelow(lines, index + 2) ? 2 : 0;
}

function isOutlookHeader(lines: string[], index: number): boolean {
  if (!fromFieldPattern.test(lines[index]!.trim())) return false;
  let sent = false;
  let to = false;
  for (let i = index + 1; i < Math.min(lines.length, index + 6); i++) {
    const line = lines[i]!.trim();
    sent ||= sentFieldPattern.test(line);
    to ||= toFieldPattern.test(line);
  }
  return sent && to;
}

/** Where quoted history starts at or after `from`, how many lines its marker takes, and whether it is a `>` block. */
interface History {
  index: number;
  span: number;
  /** An attribution above `>`-quoted lines: what follows unquoted is the sender's again. */
  quoted: boolean;
}

function nextHistory(lines: string[], from: number): History {
  for (let i = from; i < lines.length; i++) {
    const span = attributionSpan(lines, i);
    if (span > 0) return { index: i, span, quoted: quotedBelow(lines, i + span) };
    if (separatorPattern.test(lines[i]!.trim()) || isOutlookHeader(lines, i))
      return { index: i, span: 1, quoted: false };
  }
  return { index: lines.length, span: 0, quoted: false };
}

/**
 * The lines the sender wrote: those above the quoted history and, when the history is an
 * attribution over a `>`-quoted block, the unquoted lines below it too (bottom-posting, answers
 * between quoted lines). `>`-quoted lines are never kept.
 */
function ownLines(lines: string[]): string[] {
  const own: string[] = [];
  let from = 0;
  while (from < lines.length) {
    const history = nextHistory(lines, from);
    for (let i = from; i < history.index; i++) if (!quotedLine.test(lines[i]!)) own.push(lines[i]!);
    if (!history.quoted) break;
    from = history.index + history.span;
  }
  return own;
}

/** Pops trailing blank lines and separator rules (Outlook's `____` line above its header block). */
function dropTrailingRules(lines: string[]): void {
  while (lines.length > 0 && /^[\s_=*-]*$/.test(lines[lines.length - 1]!)) lines.pop();
}

/** Removes a trailing signature: from the last `-- ` delimiter, or a device footer line. */
function dropSignature(lines: string[]): string[] {
  let end = lines.length;
  for (let i = lines.length - 1; i > 0; i--) {
    if (/^--\s?$/.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  const kept = lines.slice(0, end);
  dropTrailingRules(kept);
  const last = kept[kept.length - 1];
  if (last !== undefined && deviceFooterPattern.test(last.trim())) kept.pop();
  dropTrailingRules(kept);
  return kept;
}

/**
 * Returns only the new text of an email reply: quoted history (attribution lines such as
 * `On ... wrote:` / `Am ... schrieb ...:` / `Le ... a écrit :`, or in any language a line naming
 * an address and ending with a colon above a `>`-quoted block; Outlook's `-----Original
 * Message-----` and `From:/Sent:/To:` blocks; `>`-quoted lines) and the signature (`-- `, "Sent
 * from my iPhone") removed, surrounding whitespace trimmed. Text written below a `>`-quoted block
 * (bottom-posting, answers between quoted lines) is kept. When nothing would be left, returns the
 * input unchanged, so a non-empty input never yields an empty string. Never throws.
 */
export function stripReplyText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const reply = dropSignature(ownLines(lines)).join('\n').trim();
  if (reply.length > 0) return reply;
  return text.trim().length > 0 ? text.trim() : text;
}

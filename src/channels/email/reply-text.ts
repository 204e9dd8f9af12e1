/**
 * Reply extraction: the part of an email the customer actually wrote, without the quoted
 * history below it and without the signature. The patterns cover the attribution lines,
 * separators and header blocks of common mail clients (Gmail, Outlook, Apple Mail, Thunderbird,
 * mobile mail) in English, German, French, Spanish, Italian, Dutch, Portuguese and the
 * Scandinavian languages.
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

// Outlook's header block: "From: ..." followed within a few lines by "Sent: ..." (or "Date:").
const fromFieldPattern = /^\*?(From|Von|De|Da|Van|Från|Fra)\s?:\*?\s/i;
const sentFieldPattern =
  /^\*?(Sent|Date|Gesendet|Datum|Envoyé|Date d'envoi|Enviado|Fecha|Inviato|Data|Verzonden|Skickat|Sendt)\s?:\*?\s/i;

// Mobile and webmail footers that replace a signature.
const deviceFooterPattern =
  /^(Sent from my |Sent from Mail for Windows|Sent from Yahoo Mail|Sent from Outlook|Get Outlook for |Von meinem .{1,60} gesendet|Gesendet von meinem |Envoyé de mon |Envoyé depuis |Enviado desde mi |Enviado do meu |Inviato da |Verstuurd vanaf mijn |Skickat från min )/i;

function isAttribution(line: string, next: string | undefined): boolean {
  const trimmed = line.trim();
  if (attributionPatterns.some((pattern) => pattern.test(trimmed))) return true;
  if (next === undefined || trimmed.length === 0) return false;
  const joined = `${trimmed} ${next.trim()}`;
  return attributionPatterns.some((pattern) => pattern.test(joined));
}

function isOutlookHeader(lines: string[], index: number): boolean {
  if (!fromFieldPattern.test(lines[index]!.trim())) return false;
  for (let i = index + 1; i < Math.min(lines.length, index + 6); i++) {
    if (sentFieldPattern.test(lines[i]!.trim())) return true;
  }
  return false;
}

/** Index of the first line of quoted history, or the line count when there is none. */
function historyStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (isAttribution(line, lines[i + 1])) return i;
    if (separatorPattern.test(line.trim())) return i;
    if (isOutlookHeader(lines, i)) return i;
  }
  return lines.length;
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
 * `On ... wrote:` / `Am ... schrieb ...:` / `Le ... a écrit :`, Outlook's `-----Original
 * Message-----` and `From:/Sent:` blocks, `>`-quoted lines) and the signature (`-- `, "Sent from
 * my iPhone") removed, surrounding whitespace trimmed. When nothing would be left, returns the
 * input unchanged, so a non-empty input never yields an empty string. Never throws.
 */
export function stripReplyText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const cut = historyStart(lines);
  const own = lines.slice(0, cut).filter((line) => !/^\s*>/.test(line));
  const reply = dropSignature(own).join('\n').trim();
  if (reply.length > 0) return reply;
  return text.trim().length > 0 ? text.trim() : text;
}

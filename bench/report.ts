/** One measured figure beside the floor it cannot beat, measured in the same run. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** The floor figure (same unit), when the row has one. */
  floor?: number;
  floorName?: string;
  /** Whether a higher value is better (throughput). Default false (a time or a size). */
  higherIsBetter?: boolean;
  /** The target, stated in words (`>= 100,000 msg/s`, `< 2x floor`). */
  target?: string;
  /** Whether the target was met in this run. */
  met?: boolean;
}

/** One section of docs/benchmarks.md. */
export interface BenchSection {
  title: string;
  rows: BenchRow[];
  notes?: string[];
}

/** Formats a number for the report: thousands separators, at most 3 significant decimals. */
export function fmt(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumSignificantDigits: 3 });
}

/** Renders a section as Markdown. */
export function renderSection(section: BenchSection): string {
  const lines = [
    `## ${section.title}`,
    '',
    '| measure | value | floor (same run) | cost vs floor | target | met |',
    '|---|---|---|---|---|---|',
  ];
  for (const row of section.rows) {
    const floor =
      row.floor === undefined ? '' : `${fmt(row.floor)} ${row.unit} (${row.floorName ?? 'floor'})`;
    const cost = row.higherIsBetter ? (row.floor ?? 0) / row.value : row.value / (row.floor ?? 0);
    const ratio = row.floor === undefined || row.floor === 0 || !Number.isFinite(cost) ? '' : `${fmt(cost)}x`;
    const met = row.met === undefined ? '' : row.met ? 'yes' : '**no**';
    lines.push(
      `| ${row.name} | ${fmt(row.value)} ${row.unit} | ${floor} | ${ratio} | ${row.target ?? ''} | ${met} |`,
    );
  }
  for (const note of section.notes ?? []) lines.push('', note);
  return lines.join('\n');
}

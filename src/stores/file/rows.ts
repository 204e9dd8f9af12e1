/**
 * The record rows of a snapshot chunk. A chunk lists its records' key lists once (`shapes`) and
 * each record as a row: the index of its shape, then its values in that shape's order:
 *
 * ```json
 * { "kind": "messages", "shapes": [["id", "conversationId", "at"]], "rows": [[0, "msg-1", "con-1", 1767225600000]] }
 * ```
 *
 * Keys are written once per chunk instead of once per record, which makes a snapshot about 40%
 * smaller and a cold open about 20% faster; a record is rebuilt by a constructor made once per
 * shape: an object literal of that shape, so every record of a kind shares one compact layout.
 * A key whose value is `undefined` is absent, as `JSON.stringify` leaves it out.
 *
 * Since format version 4 a shape may also fix the values of a few keys that take only a handful of
 * values (a message's brand, channel, direction, status...; see {@link FIXED_KEYS}): `fixed[i]`
 * holds them for shape `i`, and its rows leave them out. Records that differ in such a value have
 * different shapes. Parsing the repeated values cost a cold open about a tenth of its time, and
 * only strings, numbers, booleans and null are fixed, so no two records share an object.
 *
 * ```json
 * { "kind": "messages", "shapes": [["id", "brandId", "at"]], "fixed": [{ "brandId": "default" }], "rows": [[0, "msg-1", 1767225600000]] }
 * ```
 */

/** Per kind, the keys whose primitive values a shape fixes: each takes a few distinct values. */
const FIXED_KEYS: Readonly<Record<string, ReadonlySet<string>>> = {
  customers: new Set(['brandId']),
  conversations: new Set(['brandId', 'status', 'priority']),
  messages: new Set(['brandId', 'channel', 'channelKind', 'direction', 'status', 'version']),
};

/** Past this many shapes a chunk fixes no more values: varied records would each bring a shape. */
const MAX_FIXED_SHAPES = 64;

type Fixed = Record<string, string | number | boolean | null>;

const shapeId = (keys: readonly string[], fixed: Fixed | undefined) =>
  fixed === undefined ? JSON.stringify(keys) : JSON.stringify([keys, fixed]);

const isFixable = (value: unknown): value is string | number | boolean | null =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** Builds one chunk's payload, record by record (see the module comment). */
export class RowChunkBuilder {
  private readonly shapes: string[][] = [];
  private readonly fixed: (Fixed | null)[] = [];
  private readonly shapeIndex = new Map<string, number>();
  private readonly rows: string[] = [];
  private readonly fixable: ReadonlySet<string> | undefined;
  /** Characters of row JSON so far. */
  chars = 0;

  constructor(private readonly kind: string) {
    this.fixable = Object.hasOwn(FIXED_KEYS, kind) ? FIXED_KEYS[kind] : undefined;
  }

  /** Records added so far. */
  get size(): number {
    return this.rows.length;
  }

  /**
   * Adds a record (a plain JSON object; keys whose value JSON leaves out are absent), unless the
   * chunk already holds records and would pass `maxRows` or `maxChars` with it: then it adds
   * nothing and returns false, and the record starts the next chunk.
   */
  add(record: object, maxRows = Number.POSITIVE_INFINITY, maxChars = Number.POSITIVE_INFINITY): boolean {
    const keys: string[] = [];
    let values: unknown[] = [];
    let fixed: Fixed | undefined;
    for (const key of Object.keys(record)) {
      const value = (record as Record<string, unknown>)[key];
      if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
      keys.push(key);
      if (this.fixable?.has(key) && isFixable(value)) {
        fixed ??= {};
        fixed[key] = value;
      } else values.push(value);
    }
    let id = shapeId(keys, fixed);
    let known = this.shapeIndex.get(id);
    if (known === undefined && fixed !== undefined && this.shapes.length >= MAX_FIXED_SHAPES) {
      // Too many shapes already: this record's shape fixes nothing.
      fixed = undefined;
      values = keys.map((key) => (record as Record<string, unknown>)[key]);
      id = shapeId(keys, fixed);
      known = this.shapeIndex.get(id);
    }
    const index = known ?? this.shapes.length;
    const text = JSON.stringify(values);
    const row = values.length === 0 ? `[${index}]` : `[${index},${text.slice(1)}`;
    if (this.rows.length > 0 && (this.rows.length >= maxRows || this.chars + row.length > maxChars))
      return false;
    if (known === undefined) {
      this.shapes.push(keys);
      this.fixed.push(fixed ?? null);
      this.shapeIndex.set(id, index);
    }
    this.rows.push(row);
    this.chars += row.length;
    return true;
  }

  /** The chunk's JSON payload. */
  payload(): string {
    const shapes = JSON.stringify(this.shapes);
    const fixed = this.fixed.some((values) => values !== null)
      ? `,"fixed":${JSON.stringify(this.fixed)}`
      : '';
    return `{"kind":${JSON.stringify(this.kind)},"shapes":${shapes}${fixed},"rows":[${this.rows.join(',')}]}`;
  }
}

/** Builds a record from a row and its shape's fixed values (in key order). */
type Build = (row: readonly unknown[], fixed: readonly unknown[]) => Record<string, unknown>;

/** Keys that can be written as they are in generated code: identifiers, and never `__proto__`. */
const plainKey = /^[A-Za-z_$][\w$]*$/;

/**
 * A constructor of records of one shape, whose keys in `fixedKeys` take the shape's fixed values.
 * For plain keys it is an object literal made once (`new Function` over identifier keys only, so
 * no snapshot content becomes code); any other key list is built property by property, with
 * `defineProperty` so a `__proto__` key stays an own property as `JSON.parse` makes it.
 */
function builderOf(keys: readonly string[], fixedKeys: ReadonlySet<string>): Build {
  // Where each key's value is: the row (after the shape index) or the fixed values.
  const sources: ['row' | 'fixed', number][] = [];
  let fromRow = 1;
  let fromFixed = 0;
  for (const key of keys) sources.push(fixedKeys.has(key) ? ['fixed', fromFixed++] : ['row', fromRow++]);
  if (keys.every((key) => plainKey.test(key) && key !== '__proto__')) {
    const fields = keys.map((key, i) => `${key}: ${sources[i]![0]}[${sources[i]![1]}]`).join(', ');
    return new Function('row', 'fixed', `return { ${fields} };`) as Build;
  }
  return (row, fixed) => {
    const record: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const [from, at] = sources[i]!;
      Object.defineProperty(record, keys[i]!, {
        value: from === 'row' ? row[at] : fixed[at],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return record;
  };
}

/** Record constructors by shape, shared by the chunks of one snapshot. */
export type Builders = Map<string, Build>;

const NONE: readonly unknown[] = [];

/**
 * A shape's fixed values in key order and the set of their keys, or undefined when `fixed` is not
 * a valid entry for these keys (`null`, or an object of primitive values of some of the keys).
 */
function fixedOf(keys: readonly string[], fixed: unknown): [unknown[], Set<string>] | undefined {
  if (fixed === null || fixed === undefined) return [NONE as unknown[], new Set()];
  if (typeof fixed !== 'object' || Array.isArray(fixed)) return undefined;
  const names = new Set(Object.keys(fixed));
  const values: unknown[] = [];
  for (const key of keys) if (names.has(key)) values.push((fixed as Record<string, unknown>)[key]);
  if (values.length !== names.size || !values.every(isFixable)) return undefined;
  return [values, names];
}

/**
 * Decodes a chunk's shapes and rows back into records, or undefined when they are malformed.
 * `builders` caches the constructors across the chunks of a snapshot.
 */
export function fromRows(
  chunk: { shapes: unknown; fixed?: unknown; rows: unknown },
  builders: Builders,
): Record<string, unknown>[] | undefined {
  const { shapes, fixed, rows } = chunk;
  if (!Array.isArray(shapes) || !Array.isArray(rows)) return undefined;
  if (fixed !== undefined && (!Array.isArray(fixed) || fixed.length !== shapes.length)) return undefined;
  const build: Build[] = [];
  const fixedValues: unknown[][] = [];
  const widths: number[] = [];
  for (let s = 0; s < shapes.length; s++) {
    const keys = shapes[s] as unknown;
    if (!Array.isArray(keys) || !keys.every((key) => typeof key === 'string')) return undefined;
    const values = fixedOf(keys, (fixed as unknown[] | undefined)?.[s]);
    if (!values) return undefined;
    const id = JSON.stringify([keys, [...values[1]]]);
    let builder = builders.get(id);
    if (!builder) {
      builder = builderOf(keys, values[1]);
      builders.set(id, builder);
    }
    build.push(builder);
    fixedValues.push(values[0]);
    widths.push(keys.length - values[0].length + 1);
  }
  const records: Record<string, unknown>[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as unknown[];
    const shape = Array.isArray(row) ? (row[0] as number) : -1;
    const builder = build[shape];
    if (builder === undefined || row.length !== widths[shape]) return undefined;
    records[i] = builder(row, fixedValues[shape]!);
  }
  return records;
}

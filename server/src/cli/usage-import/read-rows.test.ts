import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type FilePosition,
  formatOfFile,
  propertyValue,
  readUsageRows,
  type UsageFileFormat,
  type UsageRow,
} from './read-rows.js';

const folder = mkdtempSync(join(tmpdir(), 'billfold-usage-rows-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

let files = 0;
function fileWith(text: string, extension: string): string {
  const path = join(folder, `usage-${files++}.${extension}`);
  writeFileSync(path, text);
  return path;
}

async function rowsOf(path: string, format: UsageFileFormat, from?: FilePosition): Promise<UsageRow[]> {
  const rows: UsageRow[] = [];
  for await (const row of readUsageRows(path, format, from)) rows.push(row);
  return rows;
}

describe('reading NDJSON', () => {
  it('yields each event with its line and the byte offset after it, across chunks and multi-byte text', async () => {
    const lines = [
      { event_id: 'e1', customer: 'org_a', code: 'cpu_hours', properties: { region: 'Zürich', hours: 2 } },
      { event_id: 'e2', customer: 'acme', code: 'cpu_hours', timestamp: '2026-11-01T00:00:00Z' },
    ].map((event) => JSON.stringify(event));
    const text = `\ufeff${lines[0]}\r\n\n${lines[1]}`;
    const path = fileWith(text, 'ndjson');
    const rows = await rowsOf(path, 'ndjson');
    expect(rows.map((row) => row.kind === 'event' && row.event.event_id)).toEqual(['e1', 'e2']);
    expect(rows.map((row) => row.line)).toEqual([1, 3]);
    // The last line has no newline: its end is the end of the file.
    expect(rows[1]?.end).toEqual({ offset: Buffer.byteLength(text), line: 3 });
    expect(rows[0]?.end.offset).toBe(Buffer.byteLength(`\ufeff${lines[0]}\r\n`));
    expect(rows[0]?.kind === 'event' && rows[0].event.properties).toEqual({ region: 'Zürich', hours: 2 });
  });

  it('continues from a position exactly where the rows after it begin', async () => {
    const text = Array.from(
      { length: 50 },
      (_, i) => `${JSON.stringify({ event_id: `e${i}`, customer: 'c', code: 'm' })}\n`,
    ).join('');
    const path = fileWith(text, 'ndjson');
    const all = await rowsOf(path, 'ndjson');
    const resumed = await rowsOf(path, 'ndjson', all[19]?.end);
    expect(resumed).toEqual(all.slice(20));
    expect(resumed[0]?.line).toBe(21);
  });

  it('reports a row that is not an event by its line, and goes on', async () => {
    const path = fileWith(
      [
        '{"event_id":"e1","customer":"c","code":"m"}',
        'not json',
        '{"event_id":"e2","code":"m"}',
        '{"event_id":"e3","customer":"c","code":"m","quantity":3}',
        '[1,2]',
        '{"event_id":"e4","customer":"c","code":"m","properties":"x"}',
        '{"event_id":"e5","customer":"c","code":"m","timestamp":5}',
        '{"event_id":"e6","customer":"c","code":"m"}',
      ].join('\n'),
      'ndjson',
    );
    const rows = await rowsOf(path, 'ndjson');
    expect(rows.map((row) => [row.line, row.kind === 'invalid' ? row.message : 'ok'])).toEqual([
      [1, 'ok'],
      [2, 'not a JSON object'],
      [3, 'customer is missing'],
      [4, 'unknown field quantity'],
      [5, 'not a JSON object'],
      [6, 'properties must be an object'],
      [7, 'timestamp must be an ISO 8601 string'],
      [8, 'ok'],
    ]);
  });
});

describe('reading CSV', () => {
  const csv = [
    'event_id,customer,code,timestamp,region,pool,hours',
    'e1,org_a,cpu_hours,2026-11-01T00:00:00Z,eu-west,007,2.5',
    '',
    'e2,acme,cpu_hours,,"us,east",gpu,10',
    'e3,acme,cpu_hours,2026-11-01T01:00:00Z,"multi',
    'line",,3',
    'e4,acme,cpu_hours',
    'e5,acme,cpu_hours,2026-11-01T02:00:00Z,eu-west,a,-4',
    '',
  ].join('\n');

  it('makes events of rows, numbers of numeric property cells, and leaves out empty cells', async () => {
    const rows = await rowsOf(fileWith(csv, 'csv'), 'csv');
    expect(rows[0]).toMatchObject({
      kind: 'event',
      line: 2,
      event: {
        event_id: 'e1',
        customer: 'org_a',
        code: 'cpu_hours',
        timestamp: '2026-11-01T00:00:00Z',
        properties: { region: 'eu-west', pool: '007', hours: 2.5 },
      },
    });
    // An empty timestamp is left to the server (now); a quoted comma stays in its cell.
    expect(rows[1]).toMatchObject({
      line: 4,
      event: { event_id: 'e2', properties: { region: 'us,east', pool: 'gpu', hours: 10 } },
    });
    expect(rows[1]?.kind === 'event' && 'timestamp' in rows[1].event).toBe(false);
    expect(rows[2]).toMatchObject({ line: 5, event: { properties: { region: 'multi\nline', hours: 3 } } });
    expect(rows[3]).toEqual(
      expect.objectContaining({ kind: 'invalid', line: 7, message: '3 cells where the header has 7' }),
    );
    expect(rows[4]).toMatchObject({ line: 8, event: { event_id: 'e5', properties: { hours: -4 } } });
  });

  it('continues after any row exactly as a read from the start goes on', async () => {
    const path = fileWith(csv, 'csv');
    const all = await rowsOf(path, 'csv');
    for (let i = 0; i < all.length; i++) {
      expect(await rowsOf(path, 'csv', all[i]?.end)).toEqual(all.slice(i + 1));
    }
  });

  it('refuses a file whose header does not start with the event columns', async () => {
    const path = fileWith('id,customer,code,timestamp\n1,c,m,\n', 'csv');
    await expect(rowsOf(path, 'csv')).rejects.toThrow(
      'the CSV header must start with event_id,customer,code,timestamp',
    );
  });

  it('refuses a file that is not CSV past a row, naming the line', async () => {
    const path = fileWith('event_id,customer,code,timestamp\ne1,c,m,\ne2,"c"x,m,\n', 'csv');
    await expect(rowsOf(path, 'csv')).rejects.toThrow(/line 3/);
  });
});

describe('numbers in CSV cells', () => {
  it.each([
    ['3', 3],
    ['-2.50', -2.5],
    ['0.1', 0.1],
    ['007', '007'],
    ['1e3', '1e3'],
    ['12345678901234567890', '12345678901234567890'],
    ['', ''],
    ['eu-west', 'eu-west'],
    ['3.', '3.'],
  ])('%j becomes %j', (cell, value) => {
    expect(propertyValue(cell)).toBe(value);
  });

  it('knows the format by the file name', () => {
    expect(formatOfFile('usage.CSV')).toBe('csv');
    expect(formatOfFile('usage.ndjson')).toBe('ndjson');
    expect(formatOfFile('usage.jsonl')).toBe('ndjson');
    expect(formatOfFile('usage.txt')).toBeUndefined();
  });
});

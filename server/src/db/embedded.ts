import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';

/**
 * Opens the embedded PostgreSQL. Kept apart from the rest of db/ (and so from Kysely and pg) so that
 * `billfold start` can begin compiling PGlite's WebAssembly before it loads the rest of the server.
 */
export async function openEmbedded(options: {
  dataDir?: string | undefined;
  loadDataDir?: Blob | undefined;
}) {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  return PGlite.create({
    // PGlite returns small int8 values as numbers and large ones as bigints; always bigint, as on pg.
    parsers: { 20: (value: string) => BigInt(value) },
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
}

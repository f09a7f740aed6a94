import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * Opens the embedded PostgreSQL. Kept apart from the rest of db/ (and so from Kysely and pg) so that
 * `billfold start` can begin compiling PGlite's WebAssembly before it loads the rest of the server.
 *
 * PGlite is one process's database: a second process writing the same folder would lose or corrupt
 * data. A lock file holding the owner's pid keeps a second `billfold` out, with a clear message.
 */
export class EmbeddedDatabaseInUse extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `The embedded database in ${dataDir} is in use by process ${pid} (billfold start). ` +
        'Stop that process first, or use PostgreSQL (DATABASE_URL) to run several.',
    );
    this.name = 'EmbeddedDatabaseInUse';
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the folder's lock, or throws if a live process holds it; returns its release. */
function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'billfold.lock');
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isRunning(holder)) {
        throw new EmbeddedDatabaseInUse(dataDir, holder);
      }
      // Left behind by a process that died: take it over.
      rmSync(file, { force: true });
    }
  }
}

export interface Embedded {
  pglite: PGlite;
  /** Closes the database and gives up the folder. */
  close(): Promise<void>;
}

export async function openEmbedded(options: {
  dataDir?: string | undefined;
  loadDataDir?: Blob | undefined;
}): Promise<Embedded> {
  let release = () => {};
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    release = lockDataDir(options.dataDir);
  }
  try {
    const pglite = await PGlite.create({
      // PGlite returns small int8 values as numbers and large ones as bigints; always bigint, as on pg.
      parsers: { 20: (value: string) => BigInt(value) },
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    });
    return {
      pglite,
      close: async () => {
        try {
          await pglite.close();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

import { PGlite } from '@electric-sql/pglite';

let t = performance.now();
const a = await PGlite.create();
console.log('first', performance.now() - t);
await a.exec('create table x (id int)');
t = performance.now();
const dump = await a.dumpDataDir('none');
console.log('dump', performance.now() - t, dump.size);
t = performance.now();
const b = await PGlite.create();
console.log('second fresh', performance.now() - t);
t = performance.now();
const c = await PGlite.create({ loadDataDir: dump });
console.log('from dump', performance.now() - t);
console.log((await c.query('select count(*) from x')).rows);

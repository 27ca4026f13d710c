// Moves every literal user-facing string of package.json into package.nls.json as `%key%` (stable keys from where the
// string is); strings already `%key%` are left alone. Idempotent: run it after merging a branch that adds literals.
//   node scripts/nls.mjs          rewrite both files
//   node scripts/nls.mjs --check  exit 1 if anything would move
import * as fs from 'node:fs';
import { moveStringsToNls } from './lib/nls.mjs';

const read = (file) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {});
const manifest = read('package.json');
const { nls, changes } = moveStringsToNls(manifest, read('package.nls.json'));
for (const change of changes) console.log(change);
if (process.argv.includes('--check')) process.exit(changes.length ? 1 : 0);
fs.writeFileSync('package.json', JSON.stringify(manifest, null, 2) + '\n');
fs.writeFileSync('package.nls.json', JSON.stringify(nls, null, 2) + '\n');
console.log(`${changes.length} string(s) moved; package.nls.json has ${Object.keys(nls).length}`);

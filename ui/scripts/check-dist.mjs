// Fails the production build if the dev-only mock shell (src/dev) got into it: the mock is
// imported only under `vite --mode mock`, and a bundle with it would answer commands itself.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MARKER = 'taller-ui-dev-mock-shell';
const assets = join(import.meta.dirname, '..', 'dist', 'assets');
const offending = readdirSync(assets).filter((name) => readFileSync(join(assets, name), 'utf8').includes(MARKER));
if (offending.length > 0) {
  console.error(`dist/assets contains the dev mock shell (${offending.join(', ')}): it must load only in --mode mock`);
  process.exit(1);
}
console.log('dist/: no dev mock shell in the production bundle');

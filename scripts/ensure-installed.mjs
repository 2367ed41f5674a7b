// Installs the workspace (pinned pnpm through npx, frozen lockfile) when a
// fresh clone has no node_modules yet, so that every root script works as the
// first command after cloning. Prints to stderr only, and only when it installs.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('node_modules/.modules.yaml')) {
  process.stderr.write('first run: installing dependencies (npx pnpm@10.34.9 install --frozen-lockfile)...\n');
  execSync('npx --yes pnpm@10.34.9 install --frozen-lockfile', { stdio: ['ignore', process.stderr, 'inherit'] });
}

#!/usr/bin/env node
// The socklab command. Its code is TypeScript compiled into ../dist: `npm ci` in a clone builds it (the root's
// `prepare` script), and the installed package carries it built. This file exists before any build, so npm can
// link the command at install time.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  console.error(`socklab: the command is not built yet in ${root}`);
  console.error('hint: run `npm run build` there (`npm ci` does it too)');
  process.exit(1);
}
await import(cli.href);

import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError, parseInteger } from '@socklab/shared';
import { runCheck } from '../check/run.js';
import { endProgress, terminalProgress } from '../experiment/progress.js';
import { LANGS } from '../report/lang.js';
import { DockerRuntime } from '../runtime/docker.js';
import { parseLang } from './experiment-flags.js';
import { buildOnFirstUse } from './first-use.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .argument('<server>', 'a Python server file (server_async.py) or an image')
    .description("run the lab guide's stage-3 checks on a server of your own: 10 nervous clients all ok, served concurrently on one thread, and 200 at once")
    .option('--port <n>', 'the port it listens on', '65432')
    .option('--lang <lang>', `language of the table and the report: ${LANGS.join(', ')}`, 'en')
    .option('--out <dir>', 'where the runs and check-<id>/ go', 'results')
    .action(async (server: string, o: { port: string; lang: string; out: string }) => {
      const lang = parseLang(o.lang);
      const port = parseInteger(o.port, '--port', 1, 65535);
      const isFile = server.endsWith('.py') || server.includes('/') || existsSync(server);
      if (isFile && !existsSync(server)) throw new ConfigError(`invalid server ${JSON.stringify(server)}: no such file; expected a Python file (server_async.py) or an image name`);
      if (isFile && !server.endsWith('.py')) throw new ConfigError(`invalid server ${JSON.stringify(server)}: expected a Python file ending in .py, or an image name`);
      const rt = new DockerRuntime();
      await rt.ping();
      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const r = await runCheck(
          rt,
          isFile ? { program: { path: server, source: readFileSync(server).toString('base64') }, port } : { image: server, port },
          { outDir: o.out, lang, emit: terminalProgress(), signal: abort.signal, build: buildOnFirstUse(rt) },
        );
        endProgress();
        console.log(r.text);
        console.error(`\nsocklab check: ${r.dir}/ (check.html${r.png ? ', check.png for RELATORIO.md' : ''}); the runs' reports: ${r.runs.join(', ')}`);
        if (!r.png) console.error('socklab check: no Chromium here, so no check.png (install chromium, or set SOCKLAB_CHROMIUM)');
        process.exitCode = abort.signal.aborted ? 130 : r.passed ? 0 : 3;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

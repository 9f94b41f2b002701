import type { Command } from 'commander';
import { readResults } from '../results/io.js';
import { writeReport } from '../report/write.js';
import { RunDir } from '../results/run-dir.js';
import { LANGS } from '../report/lang.js';
import { parseLang } from './experiment-flags.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .argument('<results-dir>', 'a run folder, results/<run-id>/')
    .description('render report.md, report.html and charts again from results.json, without Docker')
    .option('--lang <lang>', `language of the report: ${LANGS.join(', ')}`, 'en')
    .action((dir: string, o: { lang: string }) => {
      const lang = parseLang(o.lang);
      const results = readResults(dir);
      const files = writeReport(new RunDir(dir), results, lang);
      console.error(`socklab report: wrote ${files.markdown}, ${files.html} and ${files.charts.length} chart(s)`);
    });
}

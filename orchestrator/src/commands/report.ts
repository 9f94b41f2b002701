import type { Command } from 'commander';
import { readResults, writeReport } from '../results/io.js';
import { RunDir } from '../results/run-dir.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .argument('<results-dir>', 'a run folder, results/<run-id>/')
    .description('render report.md, report.html and charts again from results.json, without Docker')
    .action((dir: string) => {
      const results = readResults(dir);
      const files = writeReport(new RunDir(dir), results);
      console.error(`socklab report: wrote ${files.markdown}, ${files.html} and ${files.charts.length} chart(s)`);
    });
}

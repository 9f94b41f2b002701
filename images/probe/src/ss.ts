import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Parse `ss -ltnH` output: the Send-Q of a LISTEN row is the listener's accept-queue limit. */
export function parseListenSendQ(output: string, port: number): number | null {
  for (const line of output.split('\n')) {
    const f = line.trim().split(/\s+/);
    // State Recv-Q Send-Q Local:Port Peer:Port
    if (f.length >= 4 && f[0] === 'LISTEN' && f[3]?.endsWith(`:${port}`)) return Number(f[2]);
  }
  return null;
}

/** The max backlog is visible only through inet_diag, so ask iproute2's ss. */
export async function readAcceptQueueMax(port: number): Promise<number | null> {
  try {
    const { stdout } = await run('ss', ['-ltnH', `sport = :${port}`], { timeout: 2000 });
    return parseListenSendQ(stdout, port);
  } catch {
    return null;
  }
}

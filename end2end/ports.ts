import { execFileSync } from 'node:child_process';

/**
 * A port nothing listens on now, chosen by the operating system (no fixed ports: a second run of
 * the suite, or anything else on the machine, never meets this one's servers). The config is read
 * again in every worker, so the choice is kept in the environment under `name`, which the
 * workers inherit: all of them see the same port.
 */
export function freePort(name: string): number {
  const chosen = process.env[name];
  if (chosen) return Number(chosen);
  const script =
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})";
  const port = Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
  process.env[name] = String(port);
  return port;
}

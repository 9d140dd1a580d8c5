import { defineConfig, devices } from '@playwright/test';
import * as path from 'node:path';
import { chromium } from './chromium';
import { freePort } from './ports';

// The phone page's load on a throttled phone (bench/page-speed.spec.ts): not part of the suite, run it
// with `npm run bench`. Its own release server on a fresh database in end2end/.data-bench, on its own
// port, so it never meets the suite's servers.
const port = freePort('BENCH_PORT');
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = path.resolve(__dirname, '.data-bench');
const serverBin = process.env.ELUMO_SERVER_BIN;
if (!serverBin) {
  throw new Error('ELUMO_SERVER_BIN is not set: point it at the release server (make build builds it).');
}

export default defineConfig({
  testDir: './bench',
  // Five throttled cold loads (and their settle time) in one test.
  timeout: 300_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: { baseURL, trace: 'off', ...chromium },
  projects: [{ name: 'pixel', use: { ...devices['Pixel 7'], ...chromium } }],
  webServer: {
    command: `rm -rf "${dataDir}" && mkdir -p "${dataDir}" && exec "${serverBin}" serve`,
    url: `${baseURL}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      ELUMO_LISTEN: `127.0.0.1:${port}`,
      ELUMO_PUBLIC_URL: baseURL,
      ELUMO_DATA_DIR: dataDir,
      DATABASE_URL: `sqlite://${dataDir}/bench.db`,
      ELUMO_SITE_ROOT: process.env.ELUMO_SITE_ROOT ?? path.resolve(__dirname, '../target/site'),
      ELUMO_LOG: 'warn',
    },
  },
});

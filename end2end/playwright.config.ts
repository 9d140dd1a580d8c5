import { defineConfig, devices } from '@playwright/test';
import * as path from 'node:path';
import { chromium } from './chromium';
import { freePort } from './ports';

// The real server, built by `make build`, on a fresh database in end2end/.data, on a free port.
const port = freePort('E2E_PORT');
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = path.resolve(__dirname, '.data');
// A second server keeps the default abuse limits, for the tests of what a limited person sees.
const limitsPort = freePort('E2E_LIMITS_PORT');
const limitsDataDir = path.resolve(__dirname, '.data-limits');
// The OpenID Connect provider stand-in (oidc-stand-in.mjs) for sso.spec.ts. Its issuer goes to the
// specs through the environment, which the workers inherit (and read the config again).
const oidcPort = freePort('E2E_OIDC_PORT');
const oidcIssuer = `http://127.0.0.1:${oidcPort}`;
process.env.E2E_OIDC_ISSUER = oidcIssuer;
const serverBin = process.env.ELUMO_SERVER_BIN;
if (!serverBin) {
  throw new Error('ELUMO_SERVER_BIN is not set: run the suite with `make e2e` (it builds the server first).');
}

function server(port: number, dir: string, raiseLimits: boolean) {
  const base = `http://127.0.0.1:${port}`;
  return {
    command: `rm -rf "${dir}" && mkdir -p "${dir}" && exec "${serverBin}" serve`,
    url: `${base}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: {
      ELUMO_LISTEN: `127.0.0.1:${port}`,
      ELUMO_PUBLIC_URL: base,
      ELUMO_DATA_DIR: dir,
      DATABASE_URL: `sqlite://${dir}/e2e.db`,
      ELUMO_SITE_ROOT: process.env.ELUMO_SITE_ROOT ?? path.resolve(__dirname, '../target/site'),
      ELUMO_LOG: 'warn',
      // The demo admin's password, so admin.spec.ts can sign in to the dashboard.
      ELUMO_DEMO_ADMIN_PASSWORD: 'northwind-demo-admin-pass',
      // Every test comes from 127.0.0.1 and most use the demo invite and a few demo numbers: on the
      // main server the abuse limits are raised out of the way (they have their own server below).
      ...(raiseLimits
        ? {
            ELUMO_LIMIT_SUBMISSIONS_PER_IP: '10000',
            ELUMO_LIMIT_SUBMISSIONS_PER_INVITE: '10000',
            ELUMO_LIMIT_SUBMISSIONS_PER_POSTER: '10000',
            ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE: '10000',
            ELUMO_LIMIT_SMS_PER_NUMBER_PER_DAY: '10000',
            // admin.spec.ts signs in once per test.
            ELUMO_ADMIN_LOGINS_PER_IP: '10000',
          }
        : {}),
    },
  };
}

/** The provider stand-in, ready once its discovery document answers. */
const oidcStandIn = {
  command: `exec "${process.execPath}" oidc-stand-in.mjs`,
  cwd: __dirname,
  url: `${oidcIssuer}/.well-known/openid-configuration`,
  reuseExistingServer: false,
  timeout: 30_000,
  stdout: 'ignore' as const,
  stderr: 'pipe' as const,
  env: { E2E_OIDC_PORT: String(oidcPort) },
};

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: { baseURL, trace: 'retain-on-failure', ...chromium },
  projects: [
    // The member's journey, on phones.
    { name: 'pixel', use: { ...devices['Pixel 7'], ...chromium }, testIgnore: /(admin|sso|mfa)\.spec\.ts/ },
    { name: 'iphone', use: { ...devices['iPhone 13'], ...chromium }, testIgnore: /(admin|sso|mfa)\.spec\.ts/ },
    // The operator dashboard, staff single sign-on and the second factor, on a desktop.
    { name: 'desktop', use: { ...devices['Desktop Chrome'], ...chromium }, testMatch: /(admin|sso|mfa)\.spec\.ts/ },
  ],
  webServer: [server(port, dataDir, true), server(limitsPort, limitsDataDir, false), oidcStandIn],
});

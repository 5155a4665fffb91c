// Shared plumbing for the browser tests: start flex-backend in dev mode on a
// loopback port it picks itself, read the tokens it prints, and launch Debian's
// Chromium headless through playwright-core (which never downloads a browser).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

// ctest treats exit code 77 as "skipped" (SKIP_RETURN_CODE).
export function skipUnlessChromium() {
  if (!existsSync(CHROMIUM)) {
    console.log(`SKIP: ${CHROMIUM} is not installed (apt-get install chromium)`);
    process.exit(77);
  }
}

// Starts `flex-backend --dev` and resolves once it printed its welcome text.
// PORT=0: the service binds a free port itself and names it in its welcome
// text (no port is probed and released first).
export async function startDevService(extraEnv = {}) {
  const bin = process.env.FLEX_BACKEND_BIN;
  if (!bin) throw new Error('FLEX_BACKEND_BIN is not set');
  const stateDir = mkdtempSync(join(tmpdir(), 'flex-browser-'));
  const child = spawn(bin, ['--dev'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0',
           STATE_DIR: stateDir, ...extraEnv },
    cwd: stateDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const ready = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 30000);
    const check = () => {
      if (/Supervisor token:\s+\S+/.test(output)) { clearTimeout(timer); resolve(true); }
    };
    child.stdout.on('data', check);
    child.on('exit', () => { clearTimeout(timer); resolve(false); });
  });
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error('flex-backend --dev did not start:\n' + output);
  }
  // The welcome text (stdout, like the tokens) names the URL with the port bound.
  const listening = /Open in a browser:\s+(http:\/\/[^\s/]+)/.exec(output);
  if (!listening) {
    child.kill('SIGKILL');
    throw new Error('flex-backend --dev did not say where it listens:\n' + output);
  }
  const agentToken = /Agent token:\s+(\S+)/.exec(output)[1];
  const supervisorToken = /Supervisor token:\s+(\S+)/.exec(output)[1];
  return {
    url: listening[1],
    agentToken,
    supervisorToken,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'flex-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
           '--disable-background-networking', '--disable-component-update',
           '--disable-sync', '--disable-quic'],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// Runs body({service, browser, page}) with a fresh dev service and browser;
// exits non-zero on failure.
// extraEnv goes to the service (e.g. shorter stats intervals).
export async function runBrowserTest(name, body, extraEnv = {}) {
  skipUnlessChromium();
  let service;
  let browser;
  try {
    service = await startDevService(extraEnv);
    browser = await launchBrowser();
    await body({ service, browser, page: await browser.context.newPage() });
    console.log(`PASS: ${name}`);
  } catch (error) {
    console.error(`FAIL: ${name}: ${error.stack || error}`);
    if (service) console.error('--- service output ---\n' + service.output());
    process.exitCode = 1;
  } finally {
    if (browser) await browser.close();
    if (service) await service.stop();
  }
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

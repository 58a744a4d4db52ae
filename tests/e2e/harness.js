// Test harness: the Go HTTP bridge (build/bin/knobs-bridge) serving the built frontend
// and the real backend, Debian's Chromium driven by playwright-core, isolated XDG
// directories and a generated tiny model. See README.md in this directory.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const artifactsDir = process.env.KNOBS_ARTIFACTS
	? resolve(process.env.KNOBS_ARTIFACTS)
	: join(repoRoot, 'artifacts', 'e2e');
const bridgeBin = process.env.KNOBS_BRIDGE_BIN || join(repoRoot, 'build', 'bin', 'knobs-bridge');
const chromiumBin = process.env.CHROMIUM || '/usr/bin/chromium';

// Flags for a quiet, hermetic headless Chromium (it must not reach the network).
const chromiumFlags = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync'
];

/** Creates the temporary home of one test run: XDG dirs, a model, a browser profile. */
export function makeWorkspace() {
	const root = mkdtempSync(join(tmpdir(), 'knobs-e2e-'));
	const dirs = {};
	for (const d of ['config', 'data', 'state', 'cache', 'model', 'profile']) {
		dirs[d] = join(root, d);
		mkdirSync(dirs[d], { recursive: true });
	}
	// The demo model writes readable text for the screenshots; E2E_MODEL=random uses
	// labtest's random-weight model (gibberish, but independent of the demo's training).
	const args = ['run', './tests/e2e/testmodel'];
	if (process.env.E2E_MODEL === 'random') args.push('-random');
	const model = execFileSync('go', [...args, dirs.model], {
		cwd: repoRoot,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit']
	}).trim();
	mkdirSync(artifactsDir, { recursive: true });
	return { root, dirs, model, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Starts the bridge on a random loopback port with the workspace's XDG dirs and the
 * tiny model loading at start (KNOBS_MODEL). Resolves to {url, stop, output}.
 */
export async function startBridge(ws) {
	if (!existsSync(bridgeBin)) {
		throw new Error(`no bridge binary at ${bridgeBin}: run make bridge (make e2e does)`);
	}
	const env = {
		...process.env,
		XDG_CONFIG_HOME: ws.dirs.config,
		XDG_DATA_HOME: ws.dirs.data,
		XDG_STATE_HOME: ws.dirs.state,
		XDG_CACHE_HOME: ws.dirs.cache,
		KNOBS_MODEL: ws.model,
		KNOBS_LOG_LEVEL: 'debug',
		HF_HUB_OFFLINE: '1'
	};
	const proc = spawn(bridgeBin, ['-dist', join(repoRoot, 'frontend', 'dist')], {
		cwd: repoRoot,
		env,
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let output = '';
	const exited = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
	const url = await new Promise((res, rej) => {
		const timer = setTimeout(
			() => rej(new Error('bridge did not start in 30 s:\n' + output)),
			30000
		);
		const onData = (chunk) => {
			output += chunk;
			const m = /listening on (http:\/\/\S+)/.exec(output);
			if (m) {
				clearTimeout(timer);
				res(m[1]);
			}
		};
		proc.stdout.on('data', onData);
		proc.stderr.on('data', (c) => (output += c));
		exited.then((e) => rej(new Error(`bridge exited (${e.code}) before listening:\n${output}`)));
	});
	return {
		url,
		output: () => output,
		/** Stops the bridge with SIGTERM, as a quit; resolves to its exit status. */
		async stop() {
			proc.kill('SIGTERM');
			const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
			const e = await exited;
			clearTimeout(timer);
			return e;
		}
	};
}

/** Launches Debian's Chromium (never a downloaded browser) with a fresh profile. */
export async function launchBrowser(ws) {
	// launchPersistentContext takes the profile directory; the workspace's is new.
	return chromium.launchPersistentContext(ws.dirs.profile, {
		executablePath: chromiumBin,
		headless: true,
		args: chromiumFlags,
		viewport: { width: 1280, height: 800 },
		locale: 'en-US'
	});
}

/** A locator for a contract test id. */
export function byId(scope, id) {
	return scope.locator(`[data-testid="${id}"]`);
}

/**
 * Checks that the page has each test id (waiting up to timeout ms for the first).
 * Returns the missing ones: the UI does not provide them (yet).
 */
export async function missingIds(page, ids, timeout = 5000) {
	const missing = [];
	for (const id of ids) {
		try {
			await byId(page, id).first().waitFor({ state: 'attached', timeout });
		} catch {
			missing.push(id);
		}
		timeout = 500; // the page is there by now; do not wait long for each
	}
	return missing;
}

/** Sets an <input type=range|number> value as a person would, firing input and change. */
export async function setValue(locator, value) {
	await locator.evaluate((el, v) => {
		const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
		setter.call(el, String(v));
		el.dispatchEvent(new Event('input', { bubbles: true }));
		el.dispatchEvent(new Event('change', { bubbles: true }));
	}, value);
}

/** Saves a screenshot of the page as artifacts/e2e/NAME.png. */
export async function shot(page, name) {
	const path = join(artifactsDir, name + '.png');
	await page.screenshot({ path, fullPage: false });
	return path;
}

// End-to-end: the built frontend in Debian's Chromium against the real Go backend (the
// HTTP bridge) on a small model (the built-in demo model, or labtest's random one with
// E2E_MODEL=random). Each step finds elements only through the data-testid contract; a
// step whose elements the UI does not provide yet is skipped with a message naming the
// missing test ids (E2E_STRICT=1 makes that a failure).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
	artifactsDir,
	byId,
	launchBrowser,
	makeWorkspace,
	missingIds,
	setValue,
	shot,
	startBridge
} from './harness.js';

const strict = process.env.E2E_STRICT === '1';
const prompt = 'Once upon a knob';
const presetName = 'E2E warm';
const runTimeout = 60000;

// Three regimes: greedy, warm with top_k, hot with top_p and min_p.
const regimes = [
	{ 'knob-temp': 0 },
	{ 'knob-temp': 0.8, 'knob-top_k': 40 },
	{ 'knob-temp': 1.5, 'knob-top_p': 0.9, 'knob-min_p': 0.05 }
];
const maxTokens = 12;

describe('Knobs in Chromium against the real backend', () => {
	let ws, bridge, browser, page;
	const consoleErrors = [];
	// What earlier steps learnt, for later ones.
	const run = {
		id: 0,
		tokens: [] /* [column][] token events' payloads */,
		presetSaved: false,
		presetOrder: [] /* every preset's name after the reorder step */
	};

	before(async () => {
		ws = makeWorkspace();
		bridge = await startBridge(ws);
		browser = await launchBrowser(ws);
		page = browser.pages()[0] ?? (await browser.newPage());
		// Failed loads are reported with their address by the response handler.
		page.on('console', (m) => {
			if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
				consoleErrors.push(m.text());
			}
		});
		page.on('response', (r) => {
			if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) {
				consoleErrors.push(`${r.status()} ${r.url()}`);
			}
		});
		page.on('pageerror', (e) => consoleErrors.push(String(e)));
		await page.emulateMedia({ colorScheme: 'light' });
		await page.goto(bridge.url);
	});

	after(async () => {
		await browser?.close();
		if (bridge) {
			await bridge.stop();
			writeFileSync(join(artifactsDir, 'bridge.out'), bridge.output());
		}
		writeFileSync(join(artifactsDir, 'console-errors.txt'), consoleErrors.join('\n'));
		ws?.remove();
	});

	/** Skips (or in strict mode fails) the step when the UI lacks some of ids. */
	async function need(t, ids) {
		const missing = await missingIds(page, ids);
		if (missing.length === 0) return true;
		const msg = `the UI has no data-testid ${missing.map((m) => `"${m}"`).join(', ')} yet`;
		if (strict) assert.fail(msg);
		t.skip(msg);
		return false;
	}

	/** Calls a bound method of the real backend from the page, as the UI does. */
	function backend(method, ...args) {
		return page.evaluate(([m, a]) => window.go.main.App[m](...a), [method, args]);
	}

	it('mounts and reports ready; the model loads', async () => {
		await page.waitForFunction(() => document.title === 'Knobs', null, { timeout: 15000 });
		await page.waitForFunction(async () => (await window.go.main.App.Status()).modelLoaded, null, {
			timeout: 30000,
			polling: 200
		});
		const status = await backend('Status');
		assert.equal(status.modelLoaded, true);
		assert.equal(status.model, ws.model);
		if ((await missingIds(page, ['model-status'])).length === 0) {
			await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', {
				timeout: 15000
			});
		}
	});

	it('runs a three-regime comparison and the columns fill', async (t) => {
		const ids = ['prompt-input', 'run-all', 'column', 'add-column', 'column-remove'];
		const knobIds = ['knob-temp', 'knob-top_p', 'knob-top_k', 'knob-min_p', 'max-tokens'];
		if (!(await need(t, [...ids, ...knobIds, 'column-output', 'column-stats']))) {
			return;
		}

		// Three columns.
		const columns = byId(page, 'column');
		while ((await columns.count()) < 3) await byId(page, 'add-column').click();
		while ((await columns.count()) > 3) await byId(columns.last(), 'column-remove').click();

		// The prompt and each column's knobs, typed into the exact numeric entries.
		await byId(page, 'prompt-input').fill(prompt);
		for (const [i, knobs] of regimes.entries()) {
			const col = columns.nth(i);
			for (const [id, v] of Object.entries({ ...knobs, 'max-tokens': maxTokens })) {
				const input = byId(col, id).first();
				await input.fill(String(v));
				await input.blur();
			}
		}

		// Run all; the token spans appear while the events stream in. An observer
		// records the number of token spans after each change of the DOM.
		const eventsBefore = await page.evaluate(() => window.__knobsBridge.events.length);
		await page.evaluate(() => {
			const counts = (window.__tokenCounts = []);
			const observer = new MutationObserver(() =>
				counts.push(document.querySelectorAll('[data-testid="token"]').length)
			);
			observer.observe(document.body, { childList: true, subtree: true });
			window.__stopObserving = () => observer.disconnect();
		});
		await byId(page, 'run-all').click();
		for (let i = 0; i < 3; i++) {
			await byId(columns.nth(i), 'column-stats')
				.and(page.locator('[data-stop-reason]'))
				.waitFor({ timeout: runTimeout });
		}

		const counts = await page.evaluate(() => (window.__stopObserving(), window.__tokenCounts));
		const distinct = new Set(counts).size;
		t.diagnostic(`token spans seen growing through ${distinct} distinct counts`);
		assert.ok(distinct > 1, 'the columns never showed a partial output');

		// The UI's tokens are the backend's, column by column, step by step.
		const events = await page.evaluate(
			(n) =>
				window.__knobsBridge.events
					.slice(n)
					.filter((e) => e.name === 'lab:event')
					.map((e) => e.data[0]),
			eventsBefore
		);
		const start = events.find((e) => e.kind === 'start');
		assert.ok(start, 'no lab:event start event reached the page');
		run.id = start.run_id;
		for (let i = 0; i < 3; i++) {
			const sent = events.filter((e) => e.kind === 'token' && e.column === i);
			run.tokens[i] = sent.map((e) => e.token);
			assert.ok(sent.length > 0, `column ${i} received no tokens`);
			assert.ok(sent.length <= maxTokens, `column ${i}: ${sent.length} > ${maxTokens} tokens`);
			const shown = await byId(columns.nth(i), 'token').evaluateAll((els) =>
				els.map((el) => [Number(el.dataset.step), Number(el.dataset.tokenId)])
			);
			assert.deepEqual(
				shown,
				sent.map((e, step) => [step, e.token.id]),
				`column ${i}: the token spans differ from the backend's tokens`
			);
		}
		const stored = await backend('GetRun', run.id);
		assert.equal(stored.prompt, prompt);
		assert.equal(stored.columns.length, 3);
		assert.equal(stored.columns[0].regime.temp, 0);
		assert.equal(stored.columns[2].regime.top_p, 0.9);
		await shot(page, 'main-light-en');
	});

	it('the inspector shows the backend inspection data of a token', async (t) => {
		if (!run.id) return t.skip('no comparison ran');
		const ids = ['inspector', 'inspector-candidate', 'inspector-entropy'];
		// Column 1 samples (temp 0.8, top_k 40); its third step has real candidates.
		const step = Math.min(2, run.tokens[1].length - 1);
		await byId(page, 'column').nth(1).locator(`[data-testid="token"][data-step="${step}"]`).click();
		if (!(await need(t, ids))) return;
		const inspector = byId(page, 'inspector');
		await inspector.waitFor({ state: 'visible' });

		const rows = await byId(inspector, 'inspector-candidate').evaluateAll((els) =>
			els.map((el) => ({
				id: Number(el.dataset.tokenId),
				raw: el.dataset.rawLogprob,
				final: el.dataset.finalProb,
				filteredBy: el.dataset.filteredBy ?? '',
				chosen: el.dataset.chosen === 'true'
			}))
		);
		const sampling = run.tokens[1][step].sampling;
		const details = JSON.parse(JSON.stringify((await backend('GetRun', run.id)).columns[1]));
		const storedStep = details.tokens[step].sampling;
		assert.deepEqual(storedStep, sampling, 'the stored step differs from the streamed one');

		assert.ok(rows.length > 0, 'the inspector shows no candidates');
		assert.ok(rows.length <= sampling.candidates.length + 1);
		const byToken = new Map(sampling.candidates.map((c) => [c.token, c]));
		for (const r of rows) {
			const c = byToken.get(r.id);
			if (!c && r.chosen && r.id === sampling.token) {
				// A chosen token ranked below the recorded candidates has a row of its own.
				assert.equal(Number(r.final), sampling.prob, `final prob of chosen token ${r.id}`);
				continue;
			}
			assert.ok(c, `token ${r.id} is not among the backend's candidates`);
			assert.equal(Number(r.raw), c.logprob, `raw logprob of token ${r.id}`);
			assert.equal(Number(r.final), c.prob, `final prob of token ${r.id}`);
			assert.equal(r.filteredBy, c.removed_by ?? '', `filter of token ${r.id}`);
			assert.equal(r.chosen, c.token === sampling.token, `chosen mark of token ${r.id}`);
		}
		// The sampled token is one of the recorded candidates, marked chosen,
		// or it ranked below them (a draw from the tail) and has a row of its own.
		if (byToken.has(sampling.token)) {
			assert.ok(
				rows.some((r) => r.chosen),
				'no candidate is marked chosen'
			);
		} else {
			assert.ok(!rows.some((r) => r.chosen), 'a candidate row is marked chosen');
			assert.equal(
				await byId(inspector, 'inspector-chosen-outside').count(),
				1,
				`token ${sampling.token}, ranked below the candidates, has no row of its own`
			);
		}

		// The entropy is shown rounded; it must round the backend's value.
		const entropyText = (await byId(inspector, 'inspector-entropy').innerText()).trim();
		const shown = Number(/-?\d+(\.\d+)?/.exec(entropyText)?.[0]);
		assert.ok(
			Math.abs(shown - sampling.entropy) < 0.01,
			`entropy shown ${entropyText}, backend ${sampling.entropy}`
		);
		await shot(page, 'inspector');
	});

	it('the playground reshapes the distribution from the recorded logits', async (t) => {
		if (!run.id) return t.skip('no comparison ran');
		const ids = ['playground-temp', 'playground-top_p', 'playground-min_p', 'playground-chart'];
		if (!(await need(t, ids))) return;
		const probs = () =>
			byId(page, 'playground-chart')
				.locator('[data-prob]')
				.evaluateAll((els) => els.map((el) => Number(el.dataset.prob)));
		const before = await probs();
		assert.ok(before.length > 0, 'the playground chart has no bars');

		const temp = byId(page, 'playground-temp');
		const current = Number(await temp.inputValue());
		await setValue(temp, current > 1 ? 0.3 : 1.8);
		await page.waitForFunction(
			(old) => {
				const els = document.querySelectorAll('[data-testid="playground-chart"] [data-prob]');
				const now = [...els].map((el) => Number(el.dataset.prob));
				return now.length > 0 && JSON.stringify(now) !== JSON.stringify(old);
			},
			before,
			{ timeout: 5000 }
		);
		const after = await probs();
		const sum = after.reduce((a, b) => a + b, 0);
		assert.ok(
			after.every((p) => p >= 0 && p <= 1),
			'a reshaped probability is out of [0, 1]'
		);
		assert.ok(sum <= 1 + 1e-6, `the reshaped probabilities sum to ${sum}`);

		// top_p cuts: at a small top_p few bars keep a probability.
		await setValue(byId(page, 'playground-top_p'), 0.2);
		await page.waitForTimeout(300);
		const cut = (await probs()).filter((p) => p > 0).length;
		assert.ok(cut <= after.filter((p) => p > 0).length, 'top_p 0.2 kept more tokens');
	});

	it('saves a column as a preset', async (t) => {
		if (!(await need(t, ['save-preset', 'preset-select']))) return;
		await byId(byId(page, 'column').nth(1), 'save-preset').click();
		if (!(await need(t, ['preset-name-input', 'preset-save-confirm']))) return;
		await byId(page, 'preset-name-input').fill(presetName);
		await byId(page, 'preset-save-confirm').click();

		// The backend has it, with the column's knobs, and the preset pickers offer it.
		await page.waitForFunction(
			async (name) => (await window.go.main.App.Presets(false)).some((p) => p.name === name),
			presetName,
			{ timeout: 5000, polling: 100 }
		);
		const saved = (await backend('Presets', false)).find((p) => p.name === presetName);
		assert.equal(saved.regime.temp, 0.8);
		assert.equal(saved.regime.top_k, 40);
		await presetOffered();
		run.presetSaved = true;
	});

	it('reorders presets in the manager, with the keyboard and by dragging', async (t) => {
		if (!run.presetSaved) return t.skip('no preset was saved');
		if (!(await need(t, ['manage-presets']))) return;
		await byId(page, 'manage-presets').click();
		if (!(await need(t, ['preset-row', 'preset-move-up']))) return;
		const order = async () => (await backend('Presets', true)).map((p) => p.name);
		const before = await order();
		const at = before.indexOf(presetName);
		assert.ok(at > 0, `the saved preset is at ${at} of ${before.join(', ')}`);

		// Enter on the focused arrow moves it; the store and the dialog agree.
		const row = page.locator(`[data-testid="preset-row"][data-preset-name="${presetName}"]`);
		await byId(row, 'preset-move-up').focus();
		await page.keyboard.press('Enter');
		const want = [...before];
		[want[at - 1], want[at]] = [want[at], want[at - 1]];
		await orderIs(want);
		await shot(page, 'presets-reordered');

		// Dragged onto the last row, it takes the last place.
		const last = want.at(-1);
		await row.dragTo(page.locator(`[data-testid="preset-row"][data-preset-name="${last}"]`));
		want.splice(at - 1, 1);
		want.push(presetName);
		await orderIs(want);
		run.presetOrder = want;
		const dialog = page.getByRole('dialog');
		await dialog.getByRole('button', { name: 'Close' }).click();
		await dialog.waitFor({ state: 'detached', timeout: 5000 });

		/** Waits until the store holds the presets in the order want and the dialog shows it. */
		async function orderIs(want) {
			const deadline = Date.now() + 5000;
			while (JSON.stringify(await order()) !== JSON.stringify(want) && Date.now() < deadline) {
				await page.waitForTimeout(100);
			}
			assert.deepEqual(await order(), want);
			const shown = await byId(page, 'preset-row').evaluateAll((rows) =>
				rows.map((r) => r.dataset.presetName)
			);
			assert.deepEqual(shown, want);
		}
	});

	/** Waits until the first column's preset picker offers the saved preset. */
	async function presetOffered() {
		await byId(page, 'preset-select')
			.first()
			.locator('option', { hasText: presetName })
			.waitFor({ state: 'attached', timeout: 5000 });
	}

	/** Waits until the backend's saved settings satisfy ok (the UI saves debounced). */
	async function savedSettings(ok) {
		const deadline = Date.now() + 5000;
		let s;
		while (Date.now() < deadline) {
			s = await backend('LoadSettings');
			if (ok(s)) return s;
			await page.waitForTimeout(100);
		}
		assert.fail(`settings not saved as expected: ${JSON.stringify(s)}`);
	}

	it('changes theme and language (screenshots light, dark, English, Korean)', async (t) => {
		const ids = ['nav-settings', 'theme-select', 'language-select'];
		if (!(await need(t, ['nav-settings']))) return;
		const settings = async (theme, language) => {
			await byId(page, 'nav-settings').click();
			if (!(await need(t, ids))) return false;
			await byId(page, 'theme-select').selectOption(theme);
			await byId(page, 'language-select').selectOption(language);
			await closeSettings();
			return true;
		};
		if (!(await settings('dark', 'en'))) return;
		await shot(page, 'main-dark-en');
		await settings('dark', 'ko');
		await shot(page, 'main-dark-ko');
		await assertKorean();
		await settings('light', 'ko');
		await shot(page, 'main-light-ko');
		// Leave dark and Korean saved, to find them after the restart.
		await settings('dark', 'ko');
		await savedSettings((s) => s.theme === 'dark' && /^ko/.test(s.language));
	});

	/** Leaves the settings view for the main one. */
	async function closeSettings() {
		if ((await byId(page, 'nav-compare').count()) > 0) {
			await byId(page, 'nav-compare').first().click();
		} else {
			await page.keyboard.press('Escape');
			if (
				(await byId(page, 'theme-select')
					.isVisible()
					.catch(() => false)) === true
			) {
				await page.evaluate(() => (location.hash = '#/'));
			}
		}
		await page.waitForTimeout(200);
	}

	async function assertKorean() {
		const text = await page.locator('body').innerText();
		assert.match(text, /[\uac00-\ud7a3]/, 'no Hangul on the page in Korean');
	}

	it('after a restart of the backend: preset, settings and run are there; replay is identical', async (t) => {
		const code = await bridge.stop();
		assert.equal(code.code, 0, `the bridge quit with ${JSON.stringify(code)}`);
		bridge = await startBridge(ws);
		await page.goto(bridge.url);
		await page.waitForFunction(async () => (await window.go.main.App.Status()).modelLoaded, null, {
			timeout: 30000,
			polling: 200
		});

		// The backend kept them.
		const presets = await backend('Presets', false);
		if (run.presetSaved) {
			assert.ok(
				presets.some((p) => p.name === presetName),
				'the preset is gone after the restart'
			);
		}
		if (run.presetOrder.length > 0) {
			const order = (await backend('Presets', true)).map((p) => p.name);
			assert.deepEqual(order, run.presetOrder, 'the preset order is lost after the restart');
		}
		if (run.id) {
			const runs = await backend('ListRuns', { text: prompt });
			assert.ok(
				runs.some((r) => r.id === run.id && r.status === 'done'),
				'run not in history'
			);
		}

		// The UI shows them.
		if (run.presetSaved) {
			await presetOffered();
		}
		if ((await missingIds(page, ['nav-settings'])).length === 0) {
			await byId(page, 'nav-settings').click();
			if (await need(t, ['theme-select', 'language-select'])) {
				assert.equal(await byId(page, 'theme-select').inputValue(), 'dark');
				assert.match(await byId(page, 'language-select').inputValue(), /^ko/);
				await byId(page, 'language-select').selectOption('en');
				await byId(page, 'theme-select').selectOption('light');
				await savedSettings((s) => s.theme === 'light' && s.language === 'en');
			}
			await closeSettings();
		}
		if (!run.id) return t.skip('no comparison ran, so there is no run to replay');
		const ids = ['nav-history', 'history-search', 'history-item', 'history-open', 'replay'];
		if (!(await need(t, ['nav-history']))) return;
		await byId(page, 'nav-history').click();
		if (!(await need(t, ids.slice(1, 3)))) return;
		await byId(page, 'history-search').fill('upon a knob');
		const item = page.locator(`[data-testid="history-item"][data-run-id="${run.id}"]`);
		await item.waitFor({ timeout: 5000 });
		if ((await byId(item, 'history-open').count()) > 0) {
			await byId(item, 'history-open').click();
		} else if ((await byId(page, 'history-open').count()) > 0) {
			await item.click();
			await byId(page, 'history-open').first().click();
		} else {
			await item.click();
		}
		if (!(await need(t, ['replay']))) return;
		await byId(page, 'replay').first().click();
		if (!(await need(t, ['replay-result']))) return;
		await page
			.locator('[data-testid="replay-result"]')
			.filter({ hasText: /identical/i })
			.waitFor({ timeout: runTimeout });
		await shot(page, 'history-replay');
	});

	it('the quick-compare route renders the compact window', async (t) => {
		await page.setViewportSize({ width: 440, height: 640 });
		await page.goto(bridge.url + '#/quick');
		if (!(await need(t, ['quick-compare']))) return;
		await byId(page, 'quick-compare').waitFor({ state: 'visible' });
		await shot(page, 'quick-compare');
		await page.setViewportSize({ width: 1280, height: 800 });
	});

	it('the page logged no errors', () => {
		assert.deepEqual(consoleErrors, []);
	});
});

import { describe, expect, it } from 'vitest';
import { fakeBackend, regime } from '../../test/fake-backend';
import { Lab, maxColumns } from './lab.svelte';

describe('Lab columns', () => {
	it('starts with Greedy, Default zone and Creative', () => {
		const lab = new Lab();
		expect(lab.columns.map((c) => c.title(''))).toEqual(['Greedy', 'Default zone', 'Creative']);
		expect(lab.columns[1]!.regime.temp).toBe(0.7);
	});

	it('adds up to eight columns and no more', () => {
		const lab = new Lab();
		while (lab.canAdd) lab.add();
		expect(lab.columns).toHaveLength(maxColumns);
		expect(lab.add()).toBeNull();
		lab.duplicate(0);
		expect(lab.columns).toHaveLength(maxColumns);
	});

	it('keeps at least one column', () => {
		const lab = new Lab();
		lab.remove(0);
		lab.remove(0);
		expect(lab.canRemove).toBe(false);
		lab.remove(0);
		expect(lab.columns).toHaveLength(1);
	});

	it('duplicates a column next to itself with its knobs and seed', () => {
		const lab = new Lab();
		const src = lab.columns[1]!;
		src.seed = 1234;
		lab.duplicate(1);
		const copy = lab.columns[2]!;
		expect(copy).not.toBe(src);
		expect(copy.regime).toEqual(src.regime);
		expect(copy.seed).toBe(1234);
		copy.regime.temp = 2;
		expect(src.regime.temp).toBe(0.7);
		expect(lab.focused).toBe(2);
	});

	it('reorders within bounds', () => {
		const lab = new Lab();
		lab.move(0, 1);
		expect(lab.columns.map((c) => c.title(''))).toEqual(['Default zone', 'Greedy', 'Creative']);
		lab.move(0, -1);
		lab.move(2, 1);
		expect(lab.columns.map((c) => c.title(''))).toEqual(['Default zone', 'Greedy', 'Creative']);
	});

	it('sends the seed only when it is locked', () => {
		const lab = new Lab([{ regime: regime({ seed: 7 }) }]);
		const c = lab.columns[0]!;
		expect(c.toRegime().seed).toBe(7);
		c.seedLocked = false;
		expect(c.toRegime().seed).toBeUndefined();
		c.reroll();
		expect(c.seedLocked).toBe(true);
		expect(c.toRegime().seed).toBe(c.seed);
	});

	it('runs one column alone and maps its events back to it', async () => {
		const backend = fakeBackend();
		const lab = new Lab();
		backend.onLabEvent((e) => lab.handleEvent(e));
		lab.prompt = 'Hi';
		await lab.run(backend, [lab.columns[2]!]);
		expect(backend.requests[0]!.columns).toHaveLength(1);
		expect(lab.columns[2]!.text).toBe('Hello world');
		expect(lab.columns[0]!.tokens).toHaveLength(0);
		expect(lab.columns[2]!.stopReason).toBe('length');
	});

	it('keeps an error from the backend on the columns that ran', async () => {
		const backend = fakeBackend();
		backend.compare = () => Promise.reject({ code: 'model_not_loaded', message: 'Load a model.' });
		const lab = new Lab();
		lab.prompt = 'Hi';
		await lab.run(backend);
		expect(lab.error?.code).toBe('model_not_loaded');
		expect(lab.columns.every((c) => c.phase === 'error')).toBe(true);
		expect(lab.running).toBe(false);
	});
});

import { describe, expect, it } from 'vitest';

// Every source file as text, keyed by its path relative to this file.
const sources = import.meta.glob<string>(['./**/*.ts', './**/*.svelte', '!./**/*.test.ts'], {
	query: '?raw',
	import: 'default',
	eager: true
});

const wailsImport = /from\s+['"][^'"]*wailsjs\//;

describe('architecture', () => {
	it('recognises an import of the bindings', () => {
		expect(sources['./lib/services/backend.ts']).toMatch(wailsImport);
	});

	it('lets only src/lib/services import the Wails bindings and runtime', () => {
		const offenders = Object.entries(sources)
			.filter(([path]) => !path.startsWith('./lib/services/'))
			.filter(([, text]) => wailsImport.test(text))
			.map(([path]) => path);
		expect(offenders).toEqual([]);
	});
});

import { describe, expect, it } from 'vitest';
import { codeNoBackend, connectBackend, offlineBackend, toAppError } from './backend';

describe('toAppError', () => {
	it('keeps the code and message of a formatted backend error', () => {
		expect(toAppError({ code: 'invalid_knob', message: 'top_p must be in (0, 1].' })).toEqual({
			code: 'invalid_knob',
			message: 'top_p must be in (0, 1].'
		});
	});

	it('parses a formatted error that arrives as JSON text', () => {
		expect(toAppError('{"code":"model_not_found","message":"No model."}')).toEqual({
			code: 'model_not_found',
			message: 'No model.'
		});
	});

	it('turns anything else into an internal error', () => {
		expect(toAppError('boom')).toEqual({ code: 'internal', message: 'boom' });
		expect(toAppError(new Error('bad'))).toEqual({ code: 'internal', message: 'bad' });
		expect(toAppError(42)).toEqual({ code: 'internal', message: '42' });
	});
});

describe('connectBackend', () => {
	it('is offline outside the Wails window', async () => {
		const backend = connectBackend();
		expect(backend).toBe(offlineBackend);
		await expect(backend.status()).rejects.toMatchObject({ code: codeNoBackend });
	});
});

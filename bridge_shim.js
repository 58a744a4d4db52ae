// The HTTP bridge's stand-in for what Wails injects into the window (see bridge_http.go):
// window.go.main.App.<Method>(...args) posts to the Go bridge and window.runtime.Events*
// work over server-sent events, so the frontend runs unchanged in a plain browser.
// Loaded by a <script> tag at the top of <head>, before the app's modules.
(() => {
	'use strict';
	const base = '/__bridge/';

	// Events: name -> list of {callback, left} (left < 0: no limit).
	const listeners = new Map();
	let seen = 0; // sequence number of the last event received
	const waiters = []; // calls waiting for the events they caused: {seq, resolve}
	let opened;
	const open = new Promise((resolve) => (opened = resolve));

	// Every event received, for tests that compare the UI with the backend's data.
	const record = [];
	window.__knobsBridge = { events: record };

	const source = new EventSource(base + 'events');
	source.addEventListener('hello', (e) => {
		seen = JSON.parse(e.data).seq;
		opened();
		release();
	});
	source.onmessage = (e) => {
		const ev = JSON.parse(e.data);
		seen = ev.seq;
		record.push({ name: ev.name, data: ev.data });
		dispatch(ev.name, ev.data);
		release();
	};

	function release() {
		for (let i = waiters.length - 1; i >= 0; i--) {
			if (waiters[i].seq <= seen) {
				waiters[i].resolve();
				waiters.splice(i, 1);
			}
		}
	}

	function caughtUp(seq) {
		if (seq <= seen) return Promise.resolve();
		return new Promise((resolve) => waiters.push({ seq, resolve }));
	}

	function dispatch(name, data) {
		const list = listeners.get(name);
		if (!list) return;
		for (const l of [...list]) {
			if (l.left > 0 && --l.left === 0) remove(name, l);
			try {
				l.callback(...data);
			} catch (err) {
				console.error('event listener for ' + name, err);
			}
		}
	}

	function remove(name, l) {
		const list = listeners.get(name);
		if (!list) return;
		const i = list.indexOf(l);
		if (i >= 0) list.splice(i, 1);
		if (list.length === 0) listeners.delete(name);
	}

	// Calls resolve after the events emitted during them have been dispatched, and
	// reject with {code, message} as apperr formats backend errors.
	async function call(name, args) {
		await open;
		const res = await fetch(base + 'call/' + name, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify(args)
		});
		const seq = Number(res.headers.get('X-Knobs-Event-Seq') || 0);
		const body = await res.json();
		await caughtUp(seq);
		if (!res.ok) throw body;
		return body;
	}

	const app = new Proxy(
		{},
		{ get: (_, name) => (typeof name === 'string' ? (...args) => call(name, args) : undefined) }
	);
	window.go = { main: { App: app } };

	const runtime = {
		EventsOnMultiple(name, callback, maxCallbacks) {
			const l = { callback, left: maxCallbacks === undefined ? -1 : maxCallbacks };
			if (!listeners.has(name)) listeners.set(name, []);
			listeners.get(name).push(l);
			return () => remove(name, l);
		},
		EventsOn(name, callback) {
			return runtime.EventsOnMultiple(name, callback, -1);
		},
		EventsOnce(name, callback) {
			return runtime.EventsOnMultiple(name, callback, 1);
		},
		EventsOff(name, ...more) {
			for (const n of [name, ...more]) listeners.delete(n);
		},
		EventsOffAll() {
			listeners.clear();
		},
		EventsEmit(name, ...data) {
			dispatch(name, data);
		},
		Environment: async () => ({ buildType: 'production', platform: 'linux', arch: 'amd64' }),
		BrowserOpenURL(url) {
			window.open(url, '_blank', 'noopener');
		},
		ClipboardSetText: async (text) => {
			try {
				await navigator.clipboard.writeText(text);
				return true;
			} catch {
				return false;
			}
		},
		ClipboardGetText: async () => {
			try {
				return await navigator.clipboard.readText();
			} catch {
				return '';
			}
		}
	};
	// Window, log and other calls have no meaning in a browser tab: they do nothing.
	window.runtime = new Proxy(runtime, {
		get: (target, name) => (name in target ? target[name] : () => Promise.resolve())
	});
})();

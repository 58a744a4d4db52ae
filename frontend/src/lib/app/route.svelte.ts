// The hash route: #/ (compare), #/history, #/settings and #/quick (the tray's compact
// window). A hash keeps routing working from file:// and inside the Wails window.

export type Route = 'compare' | 'history' | 'settings' | 'quick';

const routes: Record<string, Route> = {
	'': 'compare',
	'#/': 'compare',
	'#/history': 'history',
	'#/settings': 'settings',
	'#/quick': 'quick'
};

export function parseRoute(hash: string): Route {
	return routes[hash] ?? 'compare';
}

export class Router {
	route = $state<Route>('compare');

	constructor() {
		if (typeof window === 'undefined') return;
		this.route = parseRoute(window.location.hash);
		window.addEventListener('hashchange', () => {
			this.route = parseRoute(window.location.hash);
		});
	}

	/** Shows a route given as a hash ("#/quick"), as the tray asks. */
	goHash(hash: string) {
		this.go(parseRoute(hash));
	}

	go(route: Route) {
		this.route = route;
		const hash = route === 'compare' ? '#/' : `#/${route}`;
		if (typeof window !== 'undefined' && window.location.hash !== hash) window.location.hash = hash;
	}
}

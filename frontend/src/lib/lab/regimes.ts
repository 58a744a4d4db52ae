/** A sampling regime as the columns show it before the lab exists. */
export interface RegimePlaceholder {
	name: string;
	/** Knob settings in the CLI's words, e.g. "temperature 0.7". */
	knobs: string[];
}

// TODO(#6): replace with the lab's presets once backend/lab serves them.
export const placeholderRegimes: RegimePlaceholder[] = [
	{ name: 'Greedy', knobs: ['temperature 0'] },
	{ name: 'Balanced', knobs: ['temperature 0.7', 'top_p 0.9'] },
	{ name: 'Creative', knobs: ['temperature 1.2', 'min_p 0.05'] },
	{ name: 'Wild', knobs: ['temperature 1.8', 'top_k 0'] }
];

// The presets the bar and the pickers show, kept in step with the store.
import { toAppError, type AppError, type Backend } from '../services/backend';
import type { Preset, Regime } from '../services/types';

export class Presets {
	/** Every preset, hidden ones included, in display order. */
	all = $state.raw<Preset[]>([]);
	error = $state<AppError | null>(null);
	/** The last import or export outcome, for the manage dialog. */
	notice = $state('');

	visible = $derived(this.all.filter((p) => !p.hidden));
	/** Built-ins and favourites: the chips of the presets bar. */
	chips = $derived(this.visible.filter((p) => p.builtin || p.favourite));
	favourites = $derived(this.visible.filter((p) => p.favourite));

	constructor(private backend: Backend) {}

	async refresh() {
		await this.guard(async () => {
			this.all = await this.backend.presets(true);
		});
	}

	byName(name: string | undefined): Preset | undefined {
		return name ? this.all.find((p) => p.name === name) : undefined;
	}

	async save(name: string, regime: Regime): Promise<boolean> {
		const { seed: _seed, ...knobs } = regime;
		return this.guard(async () => {
			await this.backend.savePreset(name, '', { ...knobs, name });
			await this.refresh();
		});
	}

	rename = (p: Preset, name: string) => this.change(() => this.backend.renamePreset(p.id, name));
	favourite = (p: Preset, on: boolean) =>
		this.change(() => this.backend.setPresetFavourite(p.id, on));
	hide = (p: Preset, on: boolean) => this.change(() => this.backend.setPresetHidden(p.id, on));
	remove = (p: Preset) => this.change(() => this.backend.deletePreset(p.id));

	async exportTo(path: string): Promise<number | null> {
		let n: number | null = null;
		await this.guard(async () => {
			n = await this.backend.exportPresets(path, []);
		});
		return n;
	}

	async importFrom(path: string): Promise<string[] | null> {
		let added: string[] | null = null;
		await this.guard(async () => {
			added = (await this.backend.importPresets(path)).added ?? [];
			await this.refresh();
		});
		return added;
	}

	private async change(f: () => Promise<unknown>): Promise<boolean> {
		return this.guard(async () => {
			await f();
			await this.refresh();
		});
	}

	// guard runs f and keeps its failure in error; it reports success.
	private async guard(f: () => Promise<void>): Promise<boolean> {
		try {
			await f();
			this.error = null;
			return true;
		} catch (err) {
			this.error = toAppError(err);
			return false;
		}
	}
}

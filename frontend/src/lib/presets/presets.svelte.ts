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

	// The last reorder sent: they reach the backend one at a time, in the order the user
	// made them, and the list is read only after them. It never rejects.
	private pending: Promise<unknown> = Promise.resolve();

	constructor(private backend: Backend) {}

	async refresh() {
		await this.guard(() => this.load());
	}

	// load reads the list once the pending reorders are done; a reorder made while it
	// reads would be overwritten by the older list, so then it reads again.
	private async load() {
		for (;;) {
			const waited = this.pending;
			await waited;
			const all = await this.backend.presets(true);
			if (waited === this.pending) {
				this.all = all;
				return;
			}
		}
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

	/** move shifts p by one place (-1 up, +1 down) among every preset, hidden ones included. */
	move(p: Preset, by: -1 | 1): Promise<boolean> {
		const ids = this.all.map((x) => x.id);
		const from = ids.indexOf(p.id);
		const to = from + by;
		if (from < 0 || to < 0 || to >= ids.length) return Promise.resolve(false);
		[ids[from], ids[to]] = [ids[to]!, ids[from]!];
		return this.reorder(ids);
	}

	/**
	 * reorder shows the presets in the order of ids at once and then asks the store for
	 * it; if the store refuses, the previous order comes back and error says why. ids
	 * should list every preset: the store puts any it lacks after them.
	 */
	async reorder(ids: number[]): Promise<boolean> {
		const before = this.all;
		const after = arrange(before, ids);
		if (after.every((p, i) => p.id === before[i]?.id)) return true;
		this.all = after;

		const sent = this.pending.then(() =>
			this.guard(() => this.backend.reorderPresets(after.map((p) => p.id)))
		);
		this.pending = sent;
		const ok = await sent;
		if (!ok) await this.rollback(before, after);
		return ok;
	}

	// rollback restores the order before a failed reorder. When the list has changed
	// since (a later move, a refresh), the store is the only truth left: read it again.
	private async rollback(before: Preset[], after: Preset[]) {
		if (this.all === after) {
			this.all = before;
			return;
		}
		try {
			await this.load();
		} catch {
			// The reorder's error is already shown; keep the list as it is.
		}
	}

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

// arrange returns all in the order of ids, then the presets ids lacks in their order,
// as the store does; positions are renumbered to match.
function arrange(all: Preset[], ids: number[]): Preset[] {
	const byId = new Map(all.map((p) => [p.id, p]));
	const listed = ids.flatMap((id) => byId.get(id) ?? []);
	const rest = all.filter((p) => !listed.includes(p));
	return [...new Set(listed), ...rest].map((p, i) =>
		p.position === i ? p : { ...p, position: i }
	);
}

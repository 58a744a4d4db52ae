export namespace hub {
	
	export class Local {
	    repo?: string;
	    revision?: string;
	    refs?: string[];
	    path: string;
	    size: number;
	    complete: boolean;
	    problem?: string;
	
	    static createFrom(source: any = {}) {
	        return new Local(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.repo = source["repo"];
	        this.revision = source["revision"];
	        this.refs = source["refs"];
	        this.path = source["path"];
	        this.size = source["size"];
	        this.complete = source["complete"];
	        this.problem = source["problem"];
	    }
	}

}

export namespace lab {
	
	export class Candidate {
	    id: number;
	    text: string;
	    logprob: number;
	
	    static createFrom(source: any = {}) {
	        return new Candidate(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.text = source["text"];
	        this.logprob = source["logprob"];
	    }
	}
	export class Token {
	    id: number;
	    text: string;
	    logprob: number;
	    top: Candidate[];
	    sampling?: sampling.Step;
	
	    static createFrom(source: any = {}) {
	        return new Token(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.text = source["text"];
	        this.logprob = source["logprob"];
	        this.top = this.convertValues(source["top"], Candidate);
	        this.sampling = this.convertValues(source["sampling"], sampling.Step);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ColumnResult {
	    index: number;
	    preset?: string;
	    regime: store.Regime;
	    seed: number;
	    text: string;
	    tokens: Token[];
	    stop_reason: string;
	    error?: string;
	    prompt_tokens: number;
	    prompt_tps: number;
	    stats: store.Stats;
	
	    static createFrom(source: any = {}) {
	        return new ColumnResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.index = source["index"];
	        this.preset = source["preset"];
	        this.regime = this.convertValues(source["regime"], store.Regime);
	        this.seed = source["seed"];
	        this.text = source["text"];
	        this.tokens = this.convertValues(source["tokens"], Token);
	        this.stop_reason = source["stop_reason"];
	        this.error = source["error"];
	        this.prompt_tokens = source["prompt_tokens"];
	        this.prompt_tps = source["prompt_tps"];
	        this.stats = this.convertValues(source["stats"], store.Stats);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ColumnSpec {
	    preset?: string;
	    regime: store.Regime;
	
	    static createFrom(source: any = {}) {
	        return new ColumnSpec(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.preset = source["preset"];
	        this.regime = this.convertValues(source["regime"], store.Regime);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Divergence {
	    column: number;
	    step: number;
	    expected: number;
	    got: number;
	    expected_text: string;
	    got_text: string;
	    expected_stop?: string;
	    got_stop?: string;
	
	    static createFrom(source: any = {}) {
	        return new Divergence(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.column = source["column"];
	        this.step = source["step"];
	        this.expected = source["expected"];
	        this.got = source["got"];
	        this.expected_text = source["expected_text"];
	        this.got_text = source["got_text"];
	        this.expected_stop = source["expected_stop"];
	        this.got_stop = source["got_stop"];
	    }
	}
	export class Result {
	    run_id: number;
	    status: string;
	    model: store.ModelIdentity;
	    mode: string;
	    rendered: string;
	    prompt_token_ids: number[];
	    columns: ColumnResult[];
	
	    static createFrom(source: any = {}) {
	        return new Result(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.run_id = source["run_id"];
	        this.status = source["status"];
	        this.model = this.convertValues(source["model"], store.ModelIdentity);
	        this.mode = source["mode"];
	        this.rendered = source["rendered"];
	        this.prompt_token_ids = source["prompt_token_ids"];
	        this.columns = this.convertValues(source["columns"], ColumnResult);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ReplayReport {
	    run_id: number;
	    identical: boolean;
	    model_changed: boolean;
	    recorded_hash: string;
	    current_hash: string;
	    divergence?: Divergence;
	    message: string;
	    result?: Result;
	
	    static createFrom(source: any = {}) {
	        return new ReplayReport(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.run_id = source["run_id"];
	        this.identical = source["identical"];
	        this.model_changed = source["model_changed"];
	        this.recorded_hash = source["recorded_hash"];
	        this.current_hash = source["current_hash"];
	        this.divergence = this.convertValues(source["divergence"], Divergence);
	        this.message = source["message"];
	        this.result = this.convertValues(source["result"], Result);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Request {
	    kind?: string;
	    prompt: string;
	    chat: boolean;
	    system?: string;
	    columns: ColumnSpec[];
	    max_tokens?: number;
	    inspect_k: number;
	    no_record?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Request(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.prompt = source["prompt"];
	        this.chat = source["chat"];
	        this.system = source["system"];
	        this.columns = this.convertValues(source["columns"], ColumnSpec);
	        this.max_tokens = source["max_tokens"];
	        this.inspect_k = source["inspect_k"];
	        this.no_record = source["no_record"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class Status {
	    state: string;
	    ref?: string;
	    identity: store.ModelIdentity;
	    error?: string;
	    error_code?: string;
	    phase?: string;
	    done?: number;
	    total?: number;
	    vocab_size?: number;
	    context_length?: number;
	
	    static createFrom(source: any = {}) {
	        return new Status(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.state = source["state"];
	        this.ref = source["ref"];
	        this.identity = this.convertValues(source["identity"], store.ModelIdentity);
	        this.error = source["error"];
	        this.error_code = source["error_code"];
	        this.phase = source["phase"];
	        this.done = source["done"];
	        this.total = source["total"];
	        this.vocab_size = source["vocab_size"];
	        this.context_length = source["context_length"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace main {
	
	export class HistoryQuery {
	    text: string;
	    model: string;
	    preset: string;
	    since: string;
	    until: string;
	    status: string;
	    limit: number;
	    offset: number;
	
	    static createFrom(source: any = {}) {
	        return new HistoryQuery(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.text = source["text"];
	        this.model = source["model"];
	        this.preset = source["preset"];
	        this.since = source["since"];
	        this.until = source["until"];
	        this.status = source["status"];
	        this.limit = source["limit"];
	        this.offset = source["offset"];
	    }
	}
	export class Status {
	    version: string;
	    model: string;
	    modelLoaded: boolean;
	    tray: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Status(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version = source["version"];
	        this.model = source["model"];
	        this.modelLoaded = source["modelLoaded"];
	        this.tray = source["tray"];
	    }
	}

}

export namespace sampling {
	
	export class Candidate {
	    token: number;
	    logprob: number;
	    penalized_logprob: number;
	    temp_prob: number;
	    removed_by?: string;
	    prob: number;
	
	    static createFrom(source: any = {}) {
	        return new Candidate(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.token = source["token"];
	        this.logprob = source["logprob"];
	        this.penalized_logprob = source["penalized_logprob"];
	        this.temp_prob = source["temp_prob"];
	        this.removed_by = source["removed_by"];
	        this.prob = source["prob"];
	    }
	}
	export class Step {
	    token: number;
	    prob: number;
	    entropy: number;
	    kept: number;
	    rank: number;
	    greedy: boolean;
	    candidates?: Candidate[];
	
	    static createFrom(source: any = {}) {
	        return new Step(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.token = source["token"];
	        this.prob = source["prob"];
	        this.entropy = source["entropy"];
	        this.kept = source["kept"];
	        this.rank = source["rank"];
	        this.greedy = source["greedy"];
	        this.candidates = this.convertValues(source["candidates"], Candidate);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace store {
	
	export class Stats {
	    tokens: number;
	    ttft_ms: number;
	    duration_ms: number;
	    tokens_per_sec: number;
	
	    static createFrom(source: any = {}) {
	        return new Stats(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.tokens = source["tokens"];
	        this.ttft_ms = source["ttft_ms"];
	        this.duration_ms = source["duration_ms"];
	        this.tokens_per_sec = source["tokens_per_sec"];
	    }
	}
	export class Regime {
	    name?: string;
	    temp: number;
	    top_p: number;
	    top_k: number;
	    min_p: number;
	    repetition_penalty: number;
	    repetition_context: number;
	    presence_penalty: number;
	    frequency_penalty: number;
	    logit_bias?: {[key: number]: number};
	    seed?: number;
	    sampler: string;
	    max_tokens?: number;
	    stop?: string[];
	
	    static createFrom(source: any = {}) {
	        return new Regime(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.temp = source["temp"];
	        this.top_p = source["top_p"];
	        this.top_k = source["top_k"];
	        this.min_p = source["min_p"];
	        this.repetition_penalty = source["repetition_penalty"];
	        this.repetition_context = source["repetition_context"];
	        this.presence_penalty = source["presence_penalty"];
	        this.frequency_penalty = source["frequency_penalty"];
	        this.logit_bias = source["logit_bias"];
	        this.seed = source["seed"];
	        this.sampler = source["sampler"];
	        this.max_tokens = source["max_tokens"];
	        this.stop = source["stop"];
	    }
	}
	export class Column {
	    index: number;
	    preset?: string;
	    regime: Regime;
	    status: string;
	    error?: string;
	    stop_reason?: string;
	    text: string;
	    token_ids?: number[];
	    tokens?: number[];
	    stats: Stats;
	
	    static createFrom(source: any = {}) {
	        return new Column(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.index = source["index"];
	        this.preset = source["preset"];
	        this.regime = this.convertValues(source["regime"], Regime);
	        this.status = source["status"];
	        this.error = source["error"];
	        this.stop_reason = source["stop_reason"];
	        this.text = source["text"];
	        this.token_ids = source["token_ids"];
	        this.tokens = source["tokens"];
	        this.stats = this.convertValues(source["stats"], Stats);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ImportResult {
	    added: string[];
	    renamed?: {[key: string]: string};
	
	    static createFrom(source: any = {}) {
	        return new ImportResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.added = source["added"];
	        this.renamed = source["renamed"];
	    }
	}
	export class ModelIdentity {
	    ref?: string;
	    revision?: string;
	    path?: string;
	    hash?: string;
	
	    static createFrom(source: any = {}) {
	        return new ModelIdentity(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.ref = source["ref"];
	        this.revision = source["revision"];
	        this.path = source["path"];
	        this.hash = source["hash"];
	    }
	}
	export class Preset {
	    id: number;
	    builtin?: string;
	    name: string;
	    description?: string;
	    regime: Regime;
	    favourite: boolean;
	    hidden: boolean;
	    position: number;
	    // Go type: time
	    created_at: any;
	    // Go type: time
	    updated_at: any;
	
	    static createFrom(source: any = {}) {
	        return new Preset(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.builtin = source["builtin"];
	        this.name = source["name"];
	        this.description = source["description"];
	        this.regime = this.convertValues(source["regime"], Regime);
	        this.favourite = source["favourite"];
	        this.hidden = source["hidden"];
	        this.position = source["position"];
	        this.created_at = this.convertValues(source["created_at"], null);
	        this.updated_at = this.convertValues(source["updated_at"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class Run {
	    id: number;
	    kind: string;
	    status: string;
	    error?: string;
	    // Go type: time
	    created_at: any;
	    // Go type: time
	    finished_at: any;
	    app_version: string;
	    model: ModelIdentity;
	    mode: string;
	    prompt: string;
	    system?: string;
	    rendered: string;
	    prompt_token_ids?: number[];
	    inspect_k: number;
	    columns: Column[];
	
	    static createFrom(source: any = {}) {
	        return new Run(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.status = source["status"];
	        this.error = source["error"];
	        this.created_at = this.convertValues(source["created_at"], null);
	        this.finished_at = this.convertValues(source["finished_at"], null);
	        this.app_version = source["app_version"];
	        this.model = this.convertValues(source["model"], ModelIdentity);
	        this.mode = source["mode"];
	        this.prompt = source["prompt"];
	        this.system = source["system"];
	        this.rendered = source["rendered"];
	        this.prompt_token_ids = source["prompt_token_ids"];
	        this.inspect_k = source["inspect_k"];
	        this.columns = this.convertValues(source["columns"], Column);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Window {
	    x: number;
	    y: number;
	    width: number;
	    height: number;
	    maximised: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Window(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.x = source["x"];
	        this.y = source["y"];
	        this.width = source["width"];
	        this.height = source["height"];
	        this.maximised = source["maximised"];
	    }
	}
	export class SettingsColumn {
	    preset?: string;
	    regime: Regime;
	
	    static createFrom(source: any = {}) {
	        return new SettingsColumn(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.preset = source["preset"];
	        this.regime = this.convertValues(source["regime"], Regime);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Settings {
	    last_prompt: string;
	    chat: boolean;
	    system: string;
	    columns: SettingsColumn[];
	    model: string;
	    window: Window;
	    theme: string;
	    language: string;
	    menu_bar_only: boolean;
	    inspect_k: number;
	    max_tokens: number;
	
	    static createFrom(source: any = {}) {
	        return new Settings(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.last_prompt = source["last_prompt"];
	        this.chat = source["chat"];
	        this.system = source["system"];
	        this.columns = this.convertValues(source["columns"], SettingsColumn);
	        this.model = source["model"];
	        this.window = this.convertValues(source["window"], Window);
	        this.theme = source["theme"];
	        this.language = source["language"];
	        this.menu_bar_only = source["menu_bar_only"];
	        this.inspect_k = source["inspect_k"];
	        this.max_tokens = source["max_tokens"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	

}


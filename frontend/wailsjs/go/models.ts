export namespace main {
	
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


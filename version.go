package main

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// aboutText is the body of the About box on every platform.
const aboutText = "See what the sampling knobs do, on a small model running on this computer."

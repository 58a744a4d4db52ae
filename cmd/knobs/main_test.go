package main

import (
	"strings"
	"testing"
)

// TestHiddenCommands checks that "knobs help" lists the user commands but not the
// hidden developer tools, which still run and still have their own help.
func TestHiddenCommands(t *testing.T) {
	stdout, stderr, code := knobs("help")
	if code != 0 {
		t.Fatalf("help: exit %d: %s", code, stderr)
	}
	for name, c := range commands {
		listed := strings.Contains(stdout, "\n  "+name+" ")
		if listed == c.hidden {
			t.Errorf("%s (hidden %v): listed in help = %v", name, c.hidden, listed)
		}
	}
	if c, ok := commands["dev"]; !ok || !c.hidden {
		t.Fatal("dev is not registered as a hidden command")
	}

	stdout, stderr, code = knobs("dev", "-h")
	if code != 0 || !strings.Contains(stdout, "mkmodel") {
		t.Errorf("dev -h: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	stdout, _, code = knobs("help", "dev")
	if code != 0 || !strings.Contains(stdout, "Usage: knobs dev mkmodel") {
		t.Errorf("help dev: exit %d, stdout %q", code, stdout)
	}
	if _, stderr, code = knobs("dev"); code != 2 || !strings.Contains(stderr, "subcommand") {
		t.Errorf("dev without a subcommand: exit %d, stderr %q; want 2", code, stderr)
	}
}

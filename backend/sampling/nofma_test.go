package sampling

import (
	"os"
	"os/exec"
	"regexp"
	"testing"
)

// TestNoFusedMultiplyAdd compiles the package for arm64, where Go may fuse a*b+c into
// one instruction, and checks that no fused instruction was emitted: a fused one
// rounds once instead of twice and would make a Mac draw different tokens from a PC.
// A cold run builds the standard library for darwin/arm64 (about a minute on two
// cores), so it runs only with KNOBS_ARM64_CHECK=1.
func TestNoFusedMultiplyAdd(t *testing.T) {
	if os.Getenv("KNOBS_ARM64_CHECK") == "" {
		t.Skip("set KNOBS_ARM64_CHECK=1 to compile the package for arm64 and look for FMA")
	}
	cmd := exec.Command("go", "build", "-o", os.DevNull, "-gcflags=-S", ".")
	cmd.Env = append(os.Environ(), "GOARCH=arm64", "GOOS=darwin", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build for arm64: %v\n%s", err, out)
	}
	if m := regexp.MustCompile(`\tF(N?M(ADD|SUB))D\t.*`).FindAll(out, 5); len(m) > 0 {
		t.Errorf("fused multiply-add instructions in the arm64 build:\n%s", m)
	}
}

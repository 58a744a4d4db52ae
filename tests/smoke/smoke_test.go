//go:build smoke

// Package smoke starts the real desktop binary under Xvfb and checks that its window
// renders the UI, that its tray menu works and that it shuts down cleanly.
//
// Run it through "make smoke" (part of "make test"): it needs build/bin/knobs, Xvfb,
// ImageMagick's import and a DBus session bus (dbus-run-session).
package smoke

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/knobs-app/knobs/backend/demomodel"
	"github.com/knobs-app/knobs/backend/store"
	"github.com/knobs-app/knobs/tests/fakesni"
)

const (
	wantTitle    = "Knobs"
	readyTimeout = 90 * time.Second // the first WebKit start on a cold machine is slow
	exitTimeout  = 20 * time.Second
)

// TestWindowTrayAndQuit is the main smoke test: the window renders, the tray's menu
// has its items and clicking Quit ends the process with status 0.
func TestWindowTrayAndQuit(t *testing.T) {
	bus, err := dbus.SessionBus()
	if err != nil {
		t.Fatalf("no session bus (run the test under dbus-run-session): %v", err)
	}
	watcher, err := fakesni.Start(bus)
	if err != nil {
		t.Fatal(err)
	}
	display := startXvfb(t)
	app := startApp(t, display, "tray", nil)

	// Readiness: the frontend mounted and reported its title.
	title := app.waitReady(t)
	if title != wantTitle {
		t.Errorf("frontend reported title %q, want %q", title, wantTitle)
	}

	// Screenshot: the window must show the UI, not a blank or uniform screen.
	shot := filepath.Join(artifactsDir(t), "knobs.png")
	waitRendered(t, display, shot)

	// Tray: the item registered with the watcher and its menu has our entries.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	item, err := watcher.WaitItem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	menu := waitMenu(t, bus, item)
	ids := map[string]int32{}
	for _, mi := range menu {
		if mi.Type != "separator" {
			ids[mi.Label] = mi.ID
		}
	}
	for _, label := range []string{"Open Knobs", "Quick compare", "About", "Quit"} {
		if _, ok := ids[label]; !ok {
			t.Errorf("tray menu has no %q item; menu: %+v", label, menu)
		}
	}
	quit, ok := ids["Quit"]
	if !ok {
		t.FailNow()
	}

	// A second launch hands over to this instance and exits.
	second := startApp(t, display, "second", nil)
	select {
	case <-second.exited:
	case <-time.After(exitTimeout):
		t.Fatal("a second instance kept running beside the first")
	}

	// Closing the window while the tray is visible hides it; Open Knobs brings it back.
	win := waitWindow(t, display, true)
	closeWindow(t, display, win)
	waitWindow(t, display, false)
	app.wantRunning(t)
	if err := fakesni.Click(bus, item, ids["Open Knobs"]); err != nil {
		t.Fatal(err)
	}
	waitWindow(t, display, true)

	// Quick compare shows the window at the compact quick-compare route (the frontend
	// follows the app:navigate event), so the screen changes; the app keeps running.
	if err := fakesni.Click(bus, item, ids["Quick compare"]); err != nil {
		t.Fatal(err)
	}
	app.wantRunning(t)
	quick := filepath.Join(artifactsDir(t), "quick-compare.png")
	waitStill(t, display, quick)
	if frontendHandles("app:navigate") {
		if n := differingPixels(t, shot, quick); n < 1000 {
			t.Errorf("Quick compare changed %d pixels of the main window, want a new view", n)
		}
	}

	// Quit from the tray ends the app cleanly.
	if err := fakesni.Click(bus, item, quit); err != nil {
		t.Fatal(err)
	}
	app.waitExit(t)
	app.wantLog(t, "second instance launched", "quitting from the tray", "shut down")
}

// TestSignalWithoutSessionBus starts the app with no session bus: it must run without
// a tray (saying so in its log) and quit cleanly on SIGTERM.
func TestSignalWithoutSessionBus(t *testing.T) {
	display := startXvfb(t)
	noBus := []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(t.TempDir(), "none")}
	app := startApp(t, display, "nobus", noBus)

	if title := app.waitReady(t); title != wantTitle {
		t.Errorf("frontend reported title %q, want %q", title, wantTitle)
	}
	if err := app.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	app.waitExit(t)
	app.wantLog(t, "running without a tray", "quitting on signal", "shut down")
}

// TestRunAllInWindow loads the small demo model at start (KNOBS_MODEL) and has the
// app ask the frontend for one Run all (KNOBS_SMOKE_RUN): the frontend runs its columns
// through the bound Compare as its button does, the comparison's events reach the
// window, and the frontend reports the columns' text back through UIReport. The run
// must then be in the history database, and the screenshot is kept.
func TestRunAllInWindow(t *testing.T) {
	model, err := demomodel.ExtractTo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	display := startXvfb(t)
	noBus := "DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(t.TempDir(), "none")
	app := startApp(t, display, "run-all", []string{noBus, "KNOBS_MODEL=" + model,
		"KNOBS_SMOKE_RUN=1"})
	if title := app.waitReady(t); title != wantTitle {
		t.Errorf("frontend reported title %q, want %q", title, wantTitle)
	}
	// The window as it mounted, before the streamed text arrives.
	before := filepath.Join(artifactsDir(t), "run-all-before.png")
	waitRendered(t, display, before)

	// Until the frontend handles the event, there is nothing to wait for.
	if !frontendHandles("app:run-all") {
		time.Sleep(5 * time.Second)
		app.wantRunning(t)
		waitRendered(t, display, filepath.Join(artifactsDir(t), "run-all.png"))
		t.Skip("the frontend does not handle the app:run-all event yet " +
			"(frontend/src has no \"app:run-all\"), so nothing ran")
	}

	// The frontend's Compare call ends; then the window shows the columns.
	// WebKit renders the streamed tokens some time after the backend has sent the last
	// one, so the screenshot is taken once the screen has stopped changing.
	app.waitLog(t, "comparison finished", readyTimeout)
	after := filepath.Join(artifactsDir(t), "run-all.png")
	waitStill(t, display, after)
	// Three columns of streamed text change thousands of pixels; a prompt, a status or
	// a button changes a few hundred.
	n := differingPixels(t, before, after)
	t.Logf("%d pixels changed during the run", n)
	if n < 5000 {
		t.Errorf("the window changed in %d pixels during the run: no text in the columns?", n)
	}
	if frontendHandles("run-all-done") {
		report, ok := app.waitReport(t, "run-all-done", 20*time.Second)
		if !ok {
			t.Fatal("the frontend reported no run-all-done after the comparison")
		}
		if strings.Trim(report, " |") == "" {
			t.Errorf("the columns are empty after Run all: %q", report)
		}
		t.Logf("columns: %.200s", report)
	} else {
		t.Log("the frontend does not report run-all-done yet; only the history is checked")
	}

	if err := app.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	app.waitExit(t)

	// The comparison the window ran is in the history, finished.
	st, err := store.Open(filepath.Join(app.dataDir, "knobs", "knobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.ListRuns(store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) == 0 || runs[0].Status != store.StatusDone {
		t.Fatalf("history after Run all: %+v, want one finished run", runs)
	}
}

// waitLog waits until the app's log file contains msg.
func (a *app) waitLog(t *testing.T, msg string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(a.logFile); err == nil && bytes.Contains(b, []byte(msg)) {
			return
		}
		a.wantRunning(t)
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no %q in the log after %v", msg, timeout)
}

// waitReport waits for a line "name: detail" in the ready file, which the frontend
// writes through the bound UIReport, and returns its detail.
func (a *app) waitReport(t *testing.T, name string, timeout time.Duration) (string, bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(a.readyFile)
		for _, line := range strings.Split(string(b), "\n") {
			if detail, ok := strings.CutPrefix(line, name+":"); ok {
				return strings.TrimSpace(detail), true
			}
		}
		a.wantRunning(t)
		time.Sleep(200 * time.Millisecond)
	}
	return "", false
}

// frontendHandles reports whether the frontend's source mentions an event name.
func frontendHandles(event string) bool {
	found := false
	root := filepath.Join("..", "..", "frontend", "src")
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || found {
			return nil
		}
		if strings.HasSuffix(path, ".test.ts") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte(event)) {
			found = true
		}
		return nil
	})
	return found
}

// waitMenu reads the tray menu until it has its entries: systray builds the menu on a
// goroutine after the item registers.
func waitMenu(t *testing.T, bus *dbus.Conn, item fakesni.Item) []fakesni.MenuItem {
	t.Helper()
	const wantEntries = 4
	deadline := time.Now().Add(15 * time.Second)
	for {
		menu, err := fakesni.Menu(bus, item)
		if err == nil && len(menu) >= wantEntries {
			return menu
		}
		if time.Now().After(deadline) {
			t.Fatalf("tray menu not complete: %+v, %v", menu, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCloseWithoutTrayQuits closes the window of an app that has no tray (no session
// bus): there is nothing to bring it back from, so closing quits.
func TestCloseWithoutTrayQuits(t *testing.T) {
	display := startXvfb(t)
	noBus := []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(t.TempDir(), "none")}
	app := startApp(t, display, "close", noBus)
	app.waitReady(t)

	closeWindow(t, display, waitWindow(t, display, true))
	app.waitExit(t)
	app.wantLog(t, "running without a tray", "shut down")
}

// app is a running desktop binary.
type app struct {
	cmd       *exec.Cmd
	readyFile string
	logFile   string // the app's slog file under the temporary XDG_STATE_HOME
	dataDir   string // the temporary XDG_DATA_HOME
	exited    chan error
}

// startApp starts build/bin/knobs on display with temporary XDG directories; extraEnv
// overrides the environment. Its stdout and stderr go to artifacts/smoke/NAME.out.
func startApp(t *testing.T, display, name string, extraEnv []string) *app {
	t.Helper()
	bin := binaryPath(t)
	tmp := t.TempDir()
	env := append(os.Environ(),
		"DISPLAY="+display,
		"XDG_CONFIG_HOME="+filepath.Join(tmp, "config"),
		"XDG_DATA_HOME="+filepath.Join(tmp, "data"),
		"XDG_STATE_HOME="+filepath.Join(tmp, "state"),
		"XDG_CACHE_HOME="+filepath.Join(tmp, "cache"),
		"KNOBS_READY_FILE="+filepath.Join(tmp, "ready"),
		"KNOBS_LOG_LEVEL=debug",
	)
	env = append(env, extraEnv...)

	out, err := os.Create(filepath.Join(artifactsDir(t), name+".out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}

	a := &app{
		cmd:       cmd,
		readyFile: filepath.Join(tmp, "ready"),
		logFile:   filepath.Join(tmp, "state", "knobs", "knobs.log"),
		dataDir:   filepath.Join(tmp, "data"),
		exited:    make(chan error, 1),
	}
	go func() { a.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-a.exited
		}
		if b, err := os.ReadFile(a.logFile); err == nil {
			os.WriteFile(filepath.Join(artifactsDir(t), name+".log"), b, 0o644)
		}
	})
	return a
}

// waitReady waits for the first line the app writes to its ready file, which it does
// when the frontend calls the bound Ready method after mounting.
func (a *app) waitReady(t *testing.T) string {
	t.Helper()
	deadline := time.After(readyTimeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-a.exited:
			a.exited <- err
			t.Fatalf("app exited before it was ready: %v", err)
		case <-deadline:
			t.Fatalf("app not ready after %v", readyTimeout)
		case <-tick.C:
			b, err := os.ReadFile(a.readyFile)
			if err != nil || !bytes.Contains(b, []byte("\n")) {
				continue
			}
			line, _, _ := strings.Cut(string(b), "\n")
			return line
		}
	}
}

// wantRunning fails the test if the app has exited.
func (a *app) wantRunning(t *testing.T) {
	t.Helper()
	select {
	case err := <-a.exited:
		a.exited <- err
		t.Fatalf("app exited unexpectedly: %v", err)
	default:
	}
}

// waitExit waits for the app to end and wants exit status 0.
func (a *app) waitExit(t *testing.T) {
	t.Helper()
	select {
	case err := <-a.exited:
		if err != nil {
			t.Fatalf("app did not exit cleanly: %v", err)
		}
	case <-time.After(exitTimeout):
		t.Fatalf("app still running %v after it was asked to quit", exitTimeout)
	}
}

// wantLog checks that the app's log file contains each message, in any order.
func (a *app) wantLog(t *testing.T, msgs ...string) {
	t.Helper()
	b, err := os.ReadFile(a.logFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if !bytes.Contains(b, []byte(m)) {
			t.Errorf("log has no %q; log:\n%s", m, b)
		}
	}
}

// waitWindow waits until the window titled Knobs is shown (visible true) or no longer
// shown, and returns its X id when shown.
func waitWindow(t *testing.T, display string, visible bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// xdotool exits with 1 when no window matches.
		cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+wantTitle+"$")
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		out, _ := cmd.Output()
		ids := strings.Fields(string(out))
		if visible && len(ids) > 0 {
			return ids[0]
		}
		if !visible && len(ids) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			t.Fatalf("window visible = %v after 10s, want %v", !visible, visible)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// closeWindow asks the window to close as a window manager's close button does.
func closeWindow(t *testing.T, display, win string) {
	t.Helper()
	cmd := exec.Command("python3", filepath.Join("testdata", "close_window.py"), win)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("close window %s: %v: %s", win, err, out)
	}
}

// startXvfb starts a virtual X server on a free display and returns its name.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// -displayfd makes Xvfb pick a free display and write its number to fd 3.
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24",
		"-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb (apt-get install xvfb): %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})

	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("read Xvfb's display number: %v", err)
	}
	return ":" + strings.TrimSpace(line)
}

// waitRendered takes screenshots of the whole screen until one shows a rendered UI.
// The ready signal comes when the frontend has mounted, which can be a frame before
// WebKit paints it, so a few attempts are allowed.
func waitRendered(t *testing.T, display, path string) {
	t.Helper()
	var lastErr error
	for range 50 {
		lastErr = screenshot(display, path)
		if lastErr == nil {
			lastErr = checkRendered(path)
		}
		if lastErr == nil {
			abs, _ := filepath.Abs(path)
			t.Logf("screenshot: %s", abs)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the window did not render: %v", lastErr)
}

// waitStill takes screenshots until four in a row, a second apart, are the same and
// show a rendered UI, and keeps the last one in path. A busy WebKit can leave the
// screen unchanged for a second while it works through a burst of events, hence four.
func waitStill(t *testing.T, display, path string) {
	t.Helper()
	const wantSame = 3 // screenshots equal to the one before
	var last []byte
	same := 0
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if err := screenshot(display, path); err != nil {
			t.Fatal(err)
		}
		b, err := pixels(path)
		if err == nil && last != nil && countDiffering(b, last) <= caretPixels &&
			checkRendered(path) == nil {
			same++
		} else {
			same = 0
		}
		if same == wantSame {
			abs, _ := filepath.Abs(path)
			t.Logf("screenshot: %s", abs)
			return
		}
		last = b
		time.Sleep(time.Second)
	}
	t.Fatal("the screen kept changing for 60s")
}

// differingPixels counts the pixels that differ between two screenshots of one size.
func differingPixels(t *testing.T, a, b string) int {
	t.Helper()
	pa, err := pixels(a)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := pixels(b)
	if err != nil {
		t.Fatal(err)
	}
	return countDiffering(pa, pb)
}

// caretPixels is how many pixels may change between two screenshots of a screen that
// counts as still: a blinking text caret in a focused field is about 2×20 pixels.
const caretPixels = 64

// countDiffering counts the RGB pixels that differ between two decoded screenshots;
// screenshots of different sizes differ in every pixel.
func countDiffering(pa, pb []byte) int {
	if len(pa) != len(pb) {
		return max(len(pa), len(pb)) / 3
	}
	n := 0
	for i := 0; i < len(pa); i += 3 {
		if !bytes.Equal(pa[i:i+3], pb[i:i+3]) {
			n++
		}
	}
	return n
}

// pixels returns a screenshot's decoded pixels (the PNG bytes may differ in metadata).
func pixels(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	out := make([]byte, 0, b.Dx()*b.Dy()*3)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out = append(out, byte(r>>8), byte(g>>8), byte(bl>>8))
		}
	}
	return out, nil
}

func screenshot(display, path string) error {
	out, err := exec.Command("import", "-display", display, "-window", "root", path).
		CombinedOutput()
	if err != nil {
		return fmt.Errorf("import (apt-get install imagemagick): %v: %s", err, out)
	}
	return nil
}

// checkRendered wants a screenshot with many colours (text, borders, a status bar),
// most of them inside the window rather than the black X root around it.
func checkRendered(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("decode screenshot: %w", err)
	}

	colours := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	// Anti-aliased text alone yields dozens of shades; a blank page has one or two.
	const minColours = 24
	if len(colours) < minColours {
		return fmt.Errorf("screenshot has %d colours, want at least %d", len(colours),
			minColours)
	}
	if isBlack(img, image.Pt(b.Dx()/2, b.Dy()/2)) {
		return errors.New("the centre of the screen is black: no window")
	}
	return nil
}

func isBlack(img image.Image, p image.Point) bool {
	r, g, b, _ := img.At(p.X, p.Y).RGBA()
	return r == 0 && g == 0 && b == 0
}

// binaryPath is the production binary the Makefile built (KNOBS_BIN overrides).
func binaryPath(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("KNOBS_BIN")
	if bin == "" {
		bin = filepath.Join("..", "..", "build", "bin", "knobs")
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("no desktop binary (run make build first): %v", err)
	}
	return abs
}

// artifactsDir is where screenshots and app output are kept: artifacts/smoke at the
// repository root, or KNOBS_ARTIFACTS.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KNOBS_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts", "smoke")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

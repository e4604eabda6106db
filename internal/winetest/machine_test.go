//go:build linux

package winetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// machine is a Wine prefix set up as a Windows server, with exhunt.exe and
// the Linux build of the same source beside it. One is booted per test
// binary run (booting is the slow part) and shared by the tests, which run
// one after the other.
type machine struct {
	dir    string // everything of the run
	prefix string // WINEPREFIX
	// The server's drives: C: is the prefix's drive_c, D: another fixed
	// drive. X: is a network drive, as a responder's share would be: it
	// holds the binaries, the commands' inputs and their outputs, and the
	// live scan must leave it alone.
	driveC, driveD, share string
	linux, windows        string // exhunt and exhunt.exe (on the share)
	loader                string // wine64 when found (the wine wrapper adds a warning about wine32 to every stderr), else wine
	env                   []string
	// notes say how long the steps of the boot took, for the log.
	mu    sync.Mutex
	notes []string
}

func (m *machine) note(format string, a ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.notes = append(m.notes, fmt.Sprintf(format, a...))
}

// The drive letters of the machine's folders, as Wine shows them.
const (
	letterC     = 'C'
	letterD     = 'D'
	letterShare = 'X'
)

var (
	bootOnce    sync.Once
	booted      *machine
	bootErr     error
	bootElapsed time.Duration
)

func TestMain(m *testing.M) {
	code := m.Run()
	if booted != nil {
		booted.shutdown()
	}
	os.Exit(code)
}

// missingTool is a tool the Wine tests cannot run without.
type missingTool struct{ what string }

func (e missingTool) Error() string { return e.what + " is not installed" }

// inCI reports whether the tests run in CI (CI=true), where a missing Wine
// must fail them instead of skipping them.
func inCI() bool { return os.Getenv("CI") == "true" }

// wine returns the machine, booting it on first use. Without Wine the test
// is skipped, saying what to install, except under CI=true, where it fails.
func wine(t *testing.T) *machine {
	t.Helper()
	if testing.Short() && !inCI() {
		t.Skip("-short: the Wine tests boot a Windows prefix and take a minute or more")
	}
	bootOnce.Do(func() {
		start := time.Now()
		booted, bootErr = boot()
		bootElapsed = time.Since(start)
		if booted != nil {
			t.Logf("Wine prefix and binaries ready in %.1f s (%s)", bootElapsed.Seconds(), strings.Join(booted.notes, "; "))
		}
	})
	var missing missingTool
	switch {
	case errors.As(bootErr, &missing) && !inCI():
		t.Skipf("%v: the Windows binary is not run (Debian: apt-get install wine wine64 gcc-mingw-w64-x86-64)", bootErr)
	case bootErr != nil:
		t.Fatalf("setting up Wine: %v", bootErr)
	}
	return booted
}

// wineLoader finds the program that runs Windows programs: Debian's wine
// wrapper picks wine64 when there is no wine32, and says so on every
// standard error; calling wine64 directly keeps standard error exhunt's.
func wineLoader() (string, error) {
	if p, err := exec.LookPath("wine64"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/lib/wine/wine64", "/usr/lib64/wine/wine64"} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("wine"); err == nil {
		return p, nil
	}
	return "", missingTool{"wine"}
}

// boot makes the machine: it builds both binaries while Wine makes a fresh
// prefix, then lays the prefix out as a server's drives.
func boot() (*machine, error) {
	loader, err := wineLoader()
	if err != nil {
		return nil, err
	}
	for _, tool := range []string{"wineboot", "wineserver"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, missingTool{tool}
		}
	}
	dir, err := os.MkdirTemp("", "exhunt-wine-")
	if err != nil {
		return nil, err
	}
	m := &machine{dir: dir, prefix: filepath.Join(dir, "prefix"), driveD: filepath.Join(dir, "drive-d"), share: filepath.Join(dir, "share"), loader: loader}
	m.driveC = filepath.Join(m.prefix, "drive_c")
	m.linux, m.windows = filepath.Join(dir, "exhunt"), filepath.Join(m.share, "exhunt.exe")
	for _, d := range []string{m.prefix, m.driveD, m.share, filepath.Join(dir, "home")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return m, err
		}
	}
	m.env = wineEnv(m.prefix, filepath.Join(dir, "home"))

	var wg sync.WaitGroup
	var buildErr error
	wg.Go(func() {
		start := time.Now()
		buildErr = m.build()
		m.note("binaries built in %.1f s", time.Since(start).Seconds())
	})
	err = m.makePrefix()
	wg.Wait()
	if err == nil {
		err = buildErr
	}
	if err != nil {
		m.shutdown()
		return nil, err
	}
	return m, nil
}

// wineEnv is the environment of every Wine command: no display (nothing
// may open a window), no Mono or Gecko to offer installing, no desktop
// menus written, a home of its own, which Wine's user folders point into,
// and a UTF-8 locale.
func wineEnv(prefix, home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "DISPLAY", k == "WAYLAND_DISPLAY", k == "HOME", k == "LANG", strings.HasPrefix(k, "LC_"), strings.HasPrefix(k, "WINE"), strings.HasPrefix(k, "XDG_"):
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"WINEPREFIX="+prefix,
		"WINEARCH=win64",
		"WINEDEBUG=-all",
		"WINEDLLOVERRIDES=mscoree,mshtml=;winemenubuilder.exe=d",
		"HOME="+home,
		// Wine turns Unix file names into Windows ones by the locale's
		// character set: UTF-8, as the file names of the layout are.
		"LC_ALL=C.UTF-8",
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
	)
}

// build compiles exhunt for Linux and for Windows from this source tree.
// The VCS stamp is left out: both report the same "devel" version, and a
// worktree's stamping cannot fail the build.
func (m *machine) build() error {
	for _, b := range []struct{ goos, out string }{{"linux", m.linux}, {"windows", m.windows}} {
		cmd := exec.Command("go", "build", "-buildvcs=false", "-o", b.out, "github.com/exhunt/exhunt/cmd/exhunt")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+b.goos, "GOARCH=amd64")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build for %s: %v\n%s", b.goos, err, out)
		}
	}
	return nil
}

// bootTimeout bounds wineboot, which takes 10 to 30 seconds.
const bootTimeout = 3 * time.Minute

// makePrefix boots a new prefix, makes its drives those of a server, and
// starts its Wine server for good.
func (m *machine) makePrefix() error {
	start := time.Now()
	if out, err := m.run(bootTimeout, m.dir, "wineboot", "--init"); err != nil {
		return fmt.Errorf("wineboot --init: %v\n%s", err, out.stderr)
	}
	m.note("wineboot in %.1f s", time.Since(start).Seconds())
	start = time.Now()
	if err := m.serverDrives(); err != nil {
		return err
	}
	// Wine's settings, while the boot's server still runs: X: is a
	// network drive (Wine reads drive types when its server starts), and
	// Windows 10 is what Wine says it is, the oldest Windows Go programs
	// support.
	for _, args := range [][]string{
		{"reg", "add", `HKLM\Software\Wine\Drives`, "/v", "x:", "/d", "network", "/f"},
		{"reg", "add", `HKCU\Software\Wine`, "/v", "Version", "/d", "win10", "/f"},
	} {
		if out, err := m.run(time.Minute, m.dir, m.loader, args...); err != nil || out.code != 0 {
			return fmt.Errorf("wine %s: exit %d, %v\n%s", strings.Join(args, " "), out.code, err, out.stderr)
		}
	}
	if err := m.processPrng(); err != nil {
		return err
	}
	// Wine writes the Unix host's name into the registry (ComputerName,
	// Tcpip Hostname and Domain) each time its server starts. The server
	// is restarted once here to read the drive types, and then kept
	// running until the end (wineserver -k), so that the server's own
	// names, written later, stay: -p300 keeps it up to five minutes
	// between two programs, far longer than any step of the tests, and
	// ends it that long after a test binary killed before its end.
	if out, err := m.run(time.Minute, m.dir, "wineserver", "-k"); err != nil {
		return fmt.Errorf("wineserver -k: %v\n%s", err, out.stderr)
	}
	if out, err := m.run(time.Minute, m.dir, "wineserver", "-w"); err != nil {
		return fmt.Errorf("wineserver -w: %v\n%s", err, out.stderr)
	}
	if out, err := m.run(time.Minute, m.dir, "wineserver", "-p300"); err != nil {
		return fmt.Errorf("wineserver -p300: %v\n%s", err, out.stderr)
	}
	m.note("prefix laid out and its server restarted in %.1f s", time.Since(start).Seconds())
	return nil
}

// serverDrives gives the prefix the drives of a server: Wine's Z: (the
// whole Unix file system, which the live scan would take for one more
// fixed drive) and any other letter wineboot found go; D: and the share
// X: come. The user folders Wine links into the Unix home become plain
// folders, as on Windows: the scan walks Desktop and Temp.
func (m *machine) serverDrives() error {
	dosdevices := filepath.Join(m.prefix, "dosdevices")
	entries, err := os.ReadDir(dosdevices)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if len(n) >= 2 && n[1] == ':' && n != "c:" {
			if err := os.Remove(filepath.Join(dosdevices, n)); err != nil {
				return err
			}
		}
	}
	for letter, dir := range map[byte]string{letterD: m.driveD, letterShare: m.share} {
		if err := os.Symlink(dir, filepath.Join(dosdevices, string([]byte{letter | 0x20, ':'}))); err != nil {
			return err
		}
	}
	return filepath.WalkDir(filepath.Join(m.driveC, "users"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		if err := os.Remove(p); err != nil {
			return err
		}
		return os.Mkdir(p, 0o755)
	})
}

// processPrng puts a stand-in bcryptprimitives.dll into system32 when Wine
// has none (Wine 8): without ProcessPrng, Go programs stop as they start.
func (m *machine) processPrng() error {
	dll := filepath.Join(m.driveC, "windows", "system32", "bcryptprimitives.dll")
	if _, err := os.Stat(dll); err == nil {
		return nil
	}
	const gcc = "x86_64-w64-mingw32-gcc"
	if _, err := exec.LookPath(gcc); err != nil {
		return missingTool{gcc + " (this Wine has no bcryptprimitives.dll, which Go programs need: the tests build a stand-in)"}
	}
	src, err := filepath.Abs(filepath.Join("testdata", "processprng.c"))
	if err != nil {
		return err
	}
	out, err := m.run(time.Minute, m.dir, gcc, "-shared", "-O2", "-s", "-nostdlib", "-e", "DllMain", "-o", dll, src, "-ladvapi32", "-lkernel32")
	if err != nil || out.code != 0 {
		return fmt.Errorf("%s: exit %d, %v\n%s", gcc, out.code, err, out.stderr)
	}
	return nil
}

// shutdown stops every Wine process of the prefix and removes the machine.
func (m *machine) shutdown() {
	m.run(time.Minute, m.dir, "wineserver", "-k")
	m.run(time.Minute, m.dir, "wineserver", "-w")
	os.RemoveAll(m.dir)
}

// output is what a command printed and its exit status.
type output struct {
	stdout, stderr []byte
	code           int
}

// run runs a command in dir with the machine's environment and a time
// limit, killing its whole process group when the limit passes. Standard
// output and error go to files, not pipes: Wine's services, started by
// the first program of a server, inherit them and outlive the command, and
// a pipe would never reach its end. An error is returned when the command
// could not run or was killed, not for an exit status.
func (m *machine) run(limit time.Duration, dir, name string, args ...string) (output, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var out output
	files := make([]*os.File, 2)
	for i := range files {
		f, err := os.CreateTemp(m.dir, "out-")
		if err != nil {
			return out, err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		files[i] = f
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, m.env
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = files[0], files[1]
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && ctx.Err() == nil {
		out.code, err = exit.ExitCode(), nil
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%s did not finish within %v", name, limit)
	}
	for i, dst := range []*[]byte{&out.stdout, &out.stderr} {
		data, rerr := os.ReadFile(files[i].Name())
		if rerr != nil && err == nil {
			err = rerr
		}
		*dst = data
	}
	return out, err
}

// commandTimeout bounds one exhunt run under Wine; a scan of the test
// server takes 5 to 20 seconds there (every file opened is a round trip
// to the Wine server).
const commandTimeout = 3 * time.Minute

// exhunt runs the Linux binary in the share folder.
func (m *machine) exhunt(t *testing.T, args ...string) output {
	t.Helper()
	out, err := m.run(commandTimeout, m.share, m.linux, args...)
	if err != nil {
		t.Fatalf("exhunt %s: %v\n%s", strings.Join(args, " "), err, out.stderr)
	}
	return out
}

// wine runs exhunt.exe under Wine in the share folder (X:\), with args as
// given (Windows paths).
func (m *machine) wine(t *testing.T, args ...string) output {
	t.Helper()
	start := time.Now()
	out, err := m.run(commandTimeout, m.share, m.loader, append([]string{m.windows}, args...)...)
	if err != nil {
		t.Fatalf("wine exhunt.exe %s: %v\n%s", strings.Join(args, " "), err, out.stderr)
	}
	t.Logf("wine exhunt.exe %s: exit %d in %.1f s", strings.Join(args, " "), out.code, time.Since(start).Seconds())
	return out
}

// both runs one command with each binary from the share folder: args name
// host paths, which exhunt.exe gets as Wine shows them (winArgs).
func (m *machine) both(t *testing.T, args ...string) (linux, windows output) {
	t.Helper()
	return m.exhunt(t, args...), m.wine(t, m.winArgs(args)...)
}

// winArgs maps the host paths among args, alone or after "NAME=" (as in
// --volume D=PATH), to Windows paths.
func (m *machine) winArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if filepath.IsAbs(a) {
			out[i] = m.winPath(a)
		} else if k, v, ok := strings.Cut(a, "="); ok && filepath.IsAbs(v) {
			out[i] = k + "=" + m.winPath(v)
		} else {
			out[i] = a
		}
	}
	return out
}

// winPath is the Windows path of a host path on one of the machine's
// drives; other paths are returned unchanged.
func (m *machine) winPath(host string) string {
	for _, d := range []struct {
		letter byte
		dir    string
	}{{letterC, m.driveC}, {letterD, m.driveD}, {letterShare, m.share}} {
		rel, err := filepath.Rel(d.dir, host)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			continue
		}
		p := string([]byte{d.letter, ':', '\\'})
		if rel != "." {
			p += strings.ReplaceAll(rel, "/", `\`)
		}
		return p
	}
	return host
}

// hostPath is the host path of a Windows path on one of the machine's
// drives, or "" for one elsewhere.
func (m *machine) hostPath(win string) string {
	if len(win) < 2 || win[1] != ':' {
		return ""
	}
	dir := map[byte]string{letterC: m.driveC, letterD: m.driveD, letterShare: m.share}[win[0]&^0x20]
	if dir == "" {
		return ""
	}
	rest := strings.Trim(strings.ReplaceAll(win[2:], `\`, "/"), "/")
	if rest == "" {
		return dir
	}
	return filepath.Join(dir, rest)
}

// sameOutput reports the difference between two outputs of one command,
// or "".
func sameOutput(linux, windows output) string {
	var b strings.Builder
	if linux.code != windows.code {
		fmt.Fprintf(&b, "exit status: Linux %d, Windows %d\n", linux.code, windows.code)
	}
	if l, w := string(linux.stdout), string(windows.stdout); l != w {
		fmt.Fprintf(&b, "standard output differs:\n%s", lineDiff(l, w))
	}
	if !bytes.Equal(linux.stderr, windows.stderr) {
		fmt.Fprintf(&b, "standard error differs:\nLinux:   %q\nWindows: %q\n", linux.stderr, windows.stderr)
	}
	return b.String()
}

// lineDiff lists the first lines that differ between a (Linux) and b
// (Windows), with their numbers.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out strings.Builder
	shown := 0
	for i := 0; i < max(len(al), len(bl)) && shown < 10; i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			fmt.Fprintf(&out, "  line %d:\n    Linux:   %q\n    Windows: %q\n", i+1, x, y)
			shown++
		}
	}
	if len(al) != len(bl) {
		fmt.Fprintf(&out, "  Linux printed %d lines, Windows %d\n", len(al), len(bl))
	}
	return out.String()
}

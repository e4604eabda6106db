package sysreg

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/exhunt/exhunt/winreg"
)

// HivePath is where a hive file lives on a system drive.
func HivePath(h Hive) string { return "Windows/System32/config/" + string(h) }

// maxHiveBytes bounds the hive read: real SOFTWARE hives are 50-200 MB,
// SYSTEM hives 10-40 MB.
const maxHiveBytes = 1 << 30

// Problem is a hive that exists but could not be read, or a fact worth
// telling about one (a dirty hive).
type Problem struct {
	Path string
	Err  error
	// Note is true for facts that are not errors.
	Note bool
}

// Offline reads hive files of a scan root. It opens each hive once, on
// first use, and keeps it open until Close. Safe for concurrent use.
type Offline struct {
	fsys    fs.FS
	resolve func(rel string) (string, error)

	mu       sync.Mutex
	hives    map[Hive]*offlineHive
	problems []Problem
}

type offlineHive struct {
	path       string // on disk, "" when absent
	hive       *winreg.Hive
	file       fs.File
	controlSet string // ControlSet00N for SYSTEM
}

// NewOffline reads hives of fsys; resolve maps a Windows-style relative
// path to the name on disk (case-insensitively), returning an error wrapping
// fs.ErrNotExist when there is none.
func NewOffline(fsys fs.FS, resolve func(rel string) (string, error)) *Offline {
	return &Offline{fsys: fsys, resolve: resolve, hives: map[Hive]*offlineHive{}}
}

// Problems lists the hives that could not be read and notes about them.
func (o *Offline) Problems() []Problem {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Problem(nil), o.problems...)
}

// Close releases the open hive files.
func (o *Offline) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, h := range o.hives {
		if h.file != nil {
			h.file.Close()
		}
	}
	o.hives = map[Hive]*offlineHive{}
	return nil
}

// Present reports whether the hive file exists and could be opened.
func (o *Offline) Present(h Hive) bool { return o.open(h).hive != nil }

func (o *Offline) Describe(h Hive) string {
	if p := o.open(h).path; p != "" {
		return "registry hive " + p
	}
	return "registry hive " + HivePath(h)
}

func (o *Offline) open(h Hive) *offlineHive {
	o.mu.Lock()
	defer o.mu.Unlock()
	if oh, ok := o.hives[h]; ok {
		return oh
	}
	oh := &offlineHive{}
	o.hives[h] = oh
	p, err := o.resolve(HivePath(h))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			o.problems = append(o.problems, Problem{Path: HivePath(h), Err: err})
		}
		return oh
	}
	oh.path = p
	fail := func(err error) *offlineHive {
		o.problems = append(o.problems, Problem{Path: p, Err: err})
		return oh
	}
	f, err := o.fsys.Open(p)
	if err != nil {
		return fail(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fail(err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return fail(errors.New("not a regular file"))
	}
	if st.Size() > maxHiveBytes {
		f.Close()
		return fail(fmt.Errorf("hive of %d bytes is larger than any real %s hive; not read", st.Size(), h))
	}
	ra, ok := f.(io.ReaderAt)
	if !ok {
		data, err := io.ReadAll(io.LimitReader(f, maxHiveBytes))
		f.Close()
		if err != nil {
			return fail(err)
		}
		ra, f = strings.NewReader(string(data)), nil
	}
	logs, closeLogs := o.openLogs(p, h)
	defer closeLogs()
	hv, rep, err := winreg.Recover(ra, st.Size(), logs...)
	if err != nil {
		if f != nil {
			f.Close()
		}
		return fail(err)
	}
	oh.hive, oh.file = hv, f
	if rep.Dirty {
		// A copy of a running server: its newest changes sit in the
		// transaction logs, which were replayed in memory (the files are
		// never written).
		o.problems = append(o.problems, Problem{Path: p, Note: true, Err: errors.New(rep.String())})
	}
	if h == System {
		oh.controlSet = currentControlSetName(hv)
	}
	return oh
}

// maxLogBytes bounds a transaction log read; real ones are a few MB.
const maxLogBytes = 512 << 20

// openLogs opens the hive's transaction logs (SOFTWARE.LOG1, .LOG2, and
// the old single .LOG) beside it, any case. The logs are read into
// memory only by the replay, and only the parts it needs.
func (o *Offline) openLogs(hivePath string, h Hive) ([]winreg.LogFile, func()) {
	var logs []winreg.LogFile
	var files []fs.File
	for _, ext := range []string{".LOG1", ".LOG2", ".LOG"} {
		p, err := o.resolve(HivePath(h) + ext)
		if err != nil {
			continue
		}
		f, err := o.fsys.Open(p)
		if err != nil {
			o.problems = append(o.problems, Problem{Path: p, Err: err})
			continue
		}
		st, err := f.Stat()
		ra, ok := f.(io.ReaderAt)
		if err != nil || !ok || !st.Mode().IsRegular() || st.Size() > maxLogBytes {
			f.Close()
			o.problems = append(o.problems, Problem{Path: p, Err: errors.New("transaction log not read (not a regular file, or too large)")})
			continue
		}
		files = append(files, f)
		logs = append(logs, winreg.LogFile{Name: path.Base(p), R: ra, Size: st.Size()})
	}
	return logs, func() {
		for _, f := range files {
			f.Close()
		}
	}
}

// currentControlSetName reads SYSTEM\Select\Current (ControlSet001 when
// it cannot be read, as on nearly every installed system).
func currentControlSetName(h *winreg.Hive) string {
	if k, err := h.OpenKey(`Select`); err == nil {
		if v, err := k.Value("Current"); err == nil {
			if n, err := v.Uint64(); err == nil && n > 0 && n < 1000 {
				return fmt.Sprintf("ControlSet%03d", n)
			}
		}
	}
	return "ControlSet001"
}

func (o *Offline) key(h Hive, key string) (*winreg.Key, error) {
	oh := o.open(h)
	if oh.hive == nil {
		return nil, ErrNotFound
	}
	if rest, ok := splitControlSet(key); ok {
		key = oh.controlSet + rest
	}
	k, err := oh.hive.OpenKey(key)
	if errors.Is(err, winreg.ErrNotFound) {
		return nil, ErrNotFound
	}
	return k, err
}

func (o *Offline) value(h Hive, key, name string) (*winreg.Value, error) {
	k, err := o.key(h, key)
	if err != nil {
		return nil, err
	}
	v, err := k.Value(name)
	if errors.Is(err, winreg.ErrNotFound) {
		return nil, ErrNotFound
	}
	return v, err
}

func (o *Offline) String(h Hive, key, name string) (string, error) {
	v, err := o.value(h, key, name)
	if err != nil {
		return "", err
	}
	return v.String()
}

func (o *Offline) Uint(h Hive, key, name string) (uint64, error) {
	v, err := o.value(h, key, name)
	if err != nil {
		return 0, err
	}
	return v.Uint64()
}

func (o *Offline) Subkeys(h Hive, key string) ([]string, error) {
	k, err := o.key(h, key)
	if err != nil {
		return nil, err
	}
	subs, err := k.Subkeys()
	names := make([]string, 0, len(subs))
	for _, s := range subs {
		names = append(names, s.Name())
	}
	return names, err
}

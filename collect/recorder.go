package collect

import (
	"io/fs"
	"sync"

	"github.com/exhunt/exhunt/root"
)

// recorder wraps a volume's file system and notes every file and folder
// the scan looks at: the files it opens or stats (their content or their
// existence decides a finding) and the folders it lists (their layout
// decides what the copy is). Taking exactly these makes the archive scan
// to the same findings as its source, whatever the checks of this version
// read.
type recorder struct {
	fsys   fs.FS
	volume byte // 0 for the system volume
	log    *accessLog
}

// accessLog is what the scan looked at on every volume, by name of
// root.Drives ("dir/file", "D:/dir/file").
type accessLog struct {
	mu    sync.Mutex
	files map[string]bool
	dirs  map[string]bool
}

func newAccessLog() *accessLog {
	return &accessLog{files: map[string]bool{}, dirs: map[string]bool{}}
}

func (r *recorder) name(n string) string {
	if r.volume == 0 {
		return n
	}
	return root.VolumePath(r.volume, n)
}

func (r *recorder) note(n string, dir bool) {
	r.log.mu.Lock()
	if dir {
		r.log.dirs[r.name(n)] = true
	} else {
		r.log.files[r.name(n)] = true
	}
	r.log.mu.Unlock()
}

func (r *recorder) noteInfo(n string, st fs.FileInfo) {
	switch {
	case st.IsDir():
		r.note(n, true)
	case st.Mode().IsRegular():
		r.note(n, false)
	}
}

func (r *recorder) Open(name string) (fs.File, error) {
	f, err := r.fsys.Open(name)
	if err == nil {
		if st, serr := f.Stat(); serr == nil {
			r.noteInfo(name, st)
		}
	}
	return f, err
}

func (r *recorder) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(r.fsys, name)
	if err == nil {
		r.note(name, true)
	}
	return entries, err
}

func (r *recorder) Stat(name string) (fs.FileInfo, error) {
	st, err := fs.Stat(r.fsys, name)
	if err == nil {
		r.noteInfo(name, st)
	}
	return st, err
}

func (r *recorder) Lstat(name string) (fs.FileInfo, error) {
	var st fs.FileInfo
	var err error
	if l, ok := r.fsys.(interface {
		Lstat(string) (fs.FileInfo, error)
	}); ok {
		st, err = l.Lstat(name)
	} else {
		st, err = fs.Stat(r.fsys, name)
	}
	if err == nil {
		r.noteInfo(name, st)
	}
	return st, err
}

// WalkDir keeps the volume's own walker and notes the folders walked;
// the files of a walk count only when a check opens them.
func (r *recorder) WalkDir(dir string, fn fs.WalkDirFunc) error {
	return root.WalkDir(r.fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d != nil && d.IsDir() {
			r.note(p, true)
		}
		return fn(p, d, err)
	})
}

// Close closes the volume when it can be closed.
func (r *recorder) Close() error {
	if c, ok := r.fsys.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

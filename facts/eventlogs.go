package facts

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/exhunt/exhunt/sysreg"
)

// DefaultEventLogDir is where Windows keeps its event logs unless a
// channel's File setting says otherwise.
const DefaultEventLogDir = "Windows/System32/winevt/Logs"

// eventLogChannels are the classic logs whose file the registry may move
// (EventLog service, File value); the others follow them in practice.
var eventLogChannels = []string{"Application", "Security", "System"}

// locateEventLogs finds the folders holding the server's .evtx files: the
// default folder and any other the registry names for the main logs.
func (s *Server) locateEventLogs(rec recognition) {
	if rec.kind == KindEventLogs {
		s.EventLogDirs = []string{"."}
		return
	}
	if s.Kind != KindSystemDrive {
		return
	}
	seen := map[string]bool{}
	add := func(dir string) {
		if !seen[dir] {
			seen[dir] = true
			s.EventLogDirs = append(s.EventLogDirs, dir)
		}
	}
	if dir, ok := s.Resolver.ResolveDir(DefaultEventLogDir); ok {
		add(dir)
	}
	for _, ch := range eventLogChannels {
		file := sysreg.StringOr(s.Registry, sysreg.System, `CurrentControlSet\Services\EventLog\`+ch, "File")
		if file == "" {
			continue
		}
		file = strings.ReplaceAll(file, `\`, "/")
		dir := path.Dir(file)
		if resolved, ok := s.resolveWindowsDir(dir); ok {
			add(resolved)
		} else if l := s.otherVolume(dir); l != 0 {
			s.note("the registry puts the %s event log in %s, on volume %c:, which was not given: add --volume %c=PATH with a copy of that volume", ch, file, l, l)
		}
	}
}

// evtxSignature starts every event log file.
var evtxSignature = []byte("ElfFile\x00")

// isEventLogFile reports whether the file starts as an .evtx file does.
func isEventLogFile(fsys fs.FS, name string) bool {
	f, err := fsys.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [8]byte
	n, _ := io.ReadFull(f, head[:])
	return bytes.Equal(head[:n], evtxSignature)
}

// hasEventLogs reports whether dir holds event log files (.evtx, checked
// by their signature).
func hasEventLogs(fsys fs.FS, dir string) bool {
	opened := 0
	for _, e := range listDir(fsys, dir) {
		if e.IsDir() || !e.Type().IsRegular() || !strings.EqualFold(path.Ext(e.Name()), ".evtx") {
			continue
		}
		if opened++; opened > maxHeaderPeeks {
			return false
		}
		if isEventLogFile(fsys, path.Join(dir, e.Name())) {
			return true
		}
	}
	return false
}

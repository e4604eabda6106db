package facts

import (
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/source/w3c"
)

// Roles of the two IIS sites Exchange setup creates.
const (
	IISFrontEnd = "front-end" // Default Web Site: the proxy clients reach
	IISBackEnd  = "back-end"  // Exchange Back End: what the front end proxies to
)

// IISSiteLogs is an IIS site and the folder its request logs are in.
type IISSiteLogs struct {
	ID int
	// Name is the site's name in applicationHost.config; "" when only its
	// log folder is known.
	Name string
	// Role is IISFrontEnd for "Default Web Site", IISBackEnd for "Exchange
	// Back End", else "".
	Role string
	// LogDir is the site's W3SVC<ID> folder, resolved.
	LogDir string
}

const (
	// DefaultIISLogDir is where IIS writes request logs unless told
	// otherwise.
	DefaultIISLogDir = `%SystemDrive%\inetpub\logs\LogFiles`
	// IISHistoryDir is where IIS keeps backups of applicationHost.config,
	// one CFGHISTORY_<n> folder per change.
	IISHistoryDir = "inetpub/history"
)

// maxIISHistory bounds the configuration backups read (IIS keeps ten
// unless told otherwise); maxIISSites the sites taken from one
// configuration (an Exchange server has two or three).
const (
	maxIISHistory = 32
	maxIISSites   = 256
)

func iisRole(name string) string {
	switch {
	case strings.EqualFold(name, "Default Web Site"):
		return IISFrontEnd
	case strings.EqualFold(name, "Exchange Back End"):
		return IISBackEnd
	}
	return ""
}

// IISSiteOf finds the site of a log file (a name of the server's file
// system): the site whose log folder holds it, else the site of the
// W3SVC<n> folder in its path (a log folder copied elsewhere), named when
// a configuration names that site ID.
func (s *Server) IISSiteOf(file string) (IISSiteLogs, bool) {
	for _, site := range s.IISSites {
		if strings.HasPrefix(file, site.LogDir+"/") {
			return site, true
		}
	}
	id, ok := w3c.SiteID(path.Dir(file))
	if !ok {
		return IISSiteLogs{}, false
	}
	site := IISSiteLogs{ID: id, LogDir: path.Dir(file)}
	for _, known := range s.IISSites {
		if known.ID == id && known.Name != "" {
			site.Name, site.Role = known.Name, known.Role
			break
		}
	}
	return site, true
}

// savedConfig is a backup of applicationHost.config.
type savedConfig struct {
	folder string // CFGHISTORY_<n>
	cfg    *root.IISConfig
}

// iisLogs resolves the IIS log folders and sites that the configuration
// and its backups name, and the W3SVC<n> folders under them. The backups
// matter because the logs of the weeks of an attack may lie in a folder
// that a later change of configuration no longer names.
func (s *Server) iisLogs() {
	history := s.iisHistory()
	seen := map[string]bool{}
	var dirs []string
	add := func(d string) {
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	// Names are compared as Windows compares them.
	named := map[string]bool{}
	key := func(n string) string {
		return strings.ToLower(strings.TrimRight(root.ExpandSystemDrive(n), `\/`))
	}
	current := []string{DefaultIISLogDir}
	if s.IIS != nil {
		current = append(s.IIS.LogDirectories(), DefaultIISLogDir)
	}
	for _, n := range current {
		named[key(n)] = true
		if d, ok := s.resolveWindowsDir(n); ok {
			add(d)
		}
	}
	for _, h := range history {
		for _, n := range h.cfg.LogDirectories() {
			if named[key(n)] {
				continue
			}
			named[key(n)] = true
			d, ok := s.resolveWindowsDir(n)
			switch {
			case !ok:
				s.note("an earlier IIS configuration (%s) had request logs written to %s, which is not in this copy", h.folder, n)
			case !seen[d]:
				s.note("an earlier IIS configuration (%s) had request logs written to %s, which the current one does not name: that folder is read too", h.folder, n)
				add(d)
			}
		}
	}
	// A folder inside another is walked with it.
	for _, d := range dirs {
		inside := false
		for _, o := range dirs {
			inside = inside || o != d && strings.HasPrefix(d, o+"/")
		}
		if !inside {
			s.IISLogDirs = append(s.IISLogDirs, d)
		}
	}
	s.iisSites(history, dirs)
}

// iisSites lists the sites' log folders: those the configurations name,
// then any other W3SVC<n> folder in the log folders (no configuration in
// the copy, or a site since removed), named after the newest
// configuration that knows its ID.
func (s *Server) iisSites(history []savedConfig, dirs []string) {
	configs := make([]*root.IISConfig, 0, len(history)+1)
	if s.IIS != nil {
		configs = append(configs, s.IIS)
	}
	for _, h := range history {
		configs = append(configs, h.cfg)
	}
	byID := map[int]IISSiteLogs{}
	seen := map[string]bool{}
	add := func(site IISSiteLogs) {
		if !seen[site.LogDir] {
			seen[site.LogDir] = true
			s.IISSites = append(s.IISSites, site)
		}
	}
	for _, c := range configs {
		for i, cs := range c.Sites {
			if i == maxIISSites {
				s.note("an IIS configuration names more than %d sites; the log folders of the others are found by name only", maxIISSites)
				break
			}
			id, err := strconv.Atoi(cs.ID)
			if err != nil || id <= 0 {
				continue
			}
			site := IISSiteLogs{ID: id, Name: cs.Name, Role: iisRole(cs.Name)}
			if _, known := byID[id]; !known {
				byID[id] = site
			}
			base := cs.LogDirectory
			if base == "" {
				base = c.DefaultLogDirectory
			}
			if base == "" {
				base = DefaultIISLogDir
			}
			if d, ok := s.resolveWindowsDir(base + `\W3SVC` + strconv.Itoa(id)); ok {
				site.LogDir = d
				add(site)
			}
		}
	}
	for _, d := range dirs {
		entries, more, err := readDirBounded(s.Drives, d, maxListed)
		if err != nil {
			s.fail(d, err)
		}
		if more {
			s.note("more than %d entries in %s: site log folders after them were not looked for", maxListed, d)
		}
		for _, e := range entries {
			id, ok := w3c.SiteID(e.Name())
			if !ok || !e.IsDir() {
				continue
			}
			site := byID[id]
			site.ID, site.LogDir = id, path.Join(d, e.Name())
			add(site)
		}
	}
	sort.SliceStable(s.IISSites, func(i, j int) bool {
		a, b := s.IISSites[i], s.IISSites[j]
		return a.ID < b.ID || a.ID == b.ID && a.LogDir < b.LogDir
	})
}

// iisHistory reads the newest configuration backups, newest first.
func (s *Server) iisHistory() []savedConfig {
	dir, ok := s.Resolver.ResolveDir(IISHistoryDir)
	if !ok {
		return nil
	}
	entries, more, err := readDirBounded(s.Drives, dir, maxListed)
	if err != nil {
		s.fail(dir, err)
	}
	const prefix = "cfghistory_"
	var folders []string
	for _, e := range entries {
		if n := e.Name(); e.IsDir() && len(n) > len(prefix) && strings.EqualFold(n[:len(prefix)], prefix) {
			folders = append(folders, n)
		}
	}
	// IIS numbers the backups with zero-padded counters, so the name
	// orders them.
	sort.Slice(folders, func(i, j int) bool { return strings.ToLower(folders[i]) > strings.ToLower(folders[j]) })
	if len(folders) > maxIISHistory || more {
		s.note("%d or more IIS configuration backups in %s; the newest %d were read", len(folders), dir, min(len(folders), maxIISHistory))
		folders = folders[:min(len(folders), maxIISHistory)]
	}
	var out []savedConfig
	for _, folder := range folders {
		p, err := s.Resolver.Resolve(path.Join(dir, folder, "applicationHost.config"))
		if err != nil {
			continue // a backup of other files only
		}
		f, err := s.Drives.Open(p)
		if err != nil {
			s.fail(p, err)
			continue
		}
		cfg, err := root.ParseIISConfig(f)
		f.Close()
		if err != nil {
			s.fail(p, err)
			continue
		}
		out = append(out, savedConfig{folder: folder, cfg: cfg})
	}
	return out
}

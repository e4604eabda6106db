package root

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/exhunt/exhunt/winreg"
)

// Well-known places inside a Windows system drive.
const (
	DefaultExchangeDir = "Program Files/Microsoft/Exchange Server/V15"
	DefaultWebRoot     = "inetpub/wwwroot"
	SoftwareHive       = "Windows/System32/config/SOFTWARE"
	IISConfigFile      = "Windows/System32/inetsrv/config/applicationHost.config"
	exchangeSetupKey   = `Microsoft\ExchangeServer\v15\Setup`
)

// Options steer where Locate looks.
type Options struct {
	// ExchangeDir overrides discovery; a path inside the root (any case,
	// either slash, an optional drive letter is ignored).
	ExchangeDir string
	// LiveInstallPath is the MsiInstallPath read from the live registry, when
	// scanning the running system.
	LiveInstallPath string
}

// Server is what a scan knows about the server in a root before reading any
// evidence.
type Server struct {
	Resolver *Resolver
	// ExchangeDir is the V15 folder inside the root ("" when not found).
	ExchangeDir string
	// ExchangeSource tells how ExchangeDir was found.
	ExchangeSource string
	// LoggingDir is ExchangeDir/Logging, or the root itself when the root
	// is a copy of just the Logging folder.
	LoggingDir string
	// InstallPath is Exchange's install folder as the server itself names
	// it (MsiInstallPath, e.g. `C:\Program Files\Microsoft\Exchange
	// Server\V15\`); log lines written by Exchange carry such paths.
	InstallPath string
	// InstallPathKnown is true when InstallPath comes from the registry;
	// otherwise it is a guess from where the folder sits in the root.
	InstallPathKnown bool
	// WebRoot is the Default Web Site's folder inside the root ("" when not
	// found) and WebRootSource how it was found.
	WebRoot       string
	WebRootSource string
	IIS           *IISConfig
	// Notes are facts about discovery worth telling the user (a registry
	// value pointing outside the root, a hive that could not be read).
	Notes []string
	// Errors are inputs that could not be read.
	Errors []PathError
	// ExchangeDirMissing is set when Options.ExchangeDir named no folder.
	ExchangeDirMissing bool
}

// PathError is a problem with one input; discovery goes on without it.
type PathError struct {
	Path string
	Err  error
}

// FS is the file system of the root.
func (s *Server) FS() fs.FS { return s.Resolver.FS() }

// Locate finds Exchange and IIS inside a root.
func Locate(fsys fs.FS, opt Options) *Server {
	s := &Server{Resolver: NewResolver(fsys)}
	s.locateExchange(opt)
	s.locateWebRoot()
	return s
}

func (s *Server) note(format string, args ...any) {
	s.Notes = append(s.Notes, fmt.Sprintf(format, args...))
}

func (s *Server) locateExchange(opt Options) {
	// The registry's install path is what Exchange writes into its logs,
	// whichever way the folder itself is found.
	registry, source := opt.LiveInstallPath, "live registry (MsiInstallPath)"
	if registry == "" {
		registry, _ = s.installPathFromHive()
		source = "registry hive " + SoftwareHive + " (MsiInstallPath)"
	}
	if registry != "" {
		s.InstallPath, s.InstallPathKnown = registry, true
	}
	defer func() {
		if s.InstallPath == "" && s.ExchangeDir != "" {
			s.InstallPath = windowsPath(s.ExchangeDir)
		}
	}()
	if opt.ExchangeDir != "" {
		if dir, ok := s.Resolver.ResolveDir(opt.ExchangeDir); ok {
			s.setExchange(dir, "--exchange-dir")
		} else {
			s.ExchangeDirMissing = true
		}
		return
	}
	if registry != "" {
		if dir, ok := s.Resolver.ResolveDir(registry); ok {
			s.setExchange(dir, source)
			return
		}
		s.note("the registry says Exchange is installed at %s, which is not inside this root (another drive?); point --exchange-dir at a copy of that folder", registry)
	}
	if dir, ok := s.Resolver.ResolveDir(DefaultExchangeDir); ok {
		s.setExchange(dir, "default install folder")
	} else if dir, ok := s.searchLayout(); ok {
		s.setExchange(dir, "found by its V15/Logging layout")
	} else if s.isLoggingFolder(".") {
		s.LoggingDir = "."
		s.ExchangeSource = "the root is an Exchange Logging folder"
	}
}

func (s *Server) setExchange(dir, source string) {
	s.ExchangeDir = dir
	s.ExchangeSource = source
	if logging, ok := s.Resolver.ResolveDir(path.Join(dir, "Logging")); ok {
		s.LoggingDir = logging
	}
}

// windowsPath is the path the server would give a folder of the root,
// assuming the root is its C: drive.
func windowsPath(dir string) string {
	if dir == "" {
		return ""
	}
	if dir == "." {
		return `C:\`
	}
	return `C:\` + strings.ReplaceAll(dir, "/", `\`) + `\`
}

// maxHiveBytes bounds the SOFTWARE hive read; real ones are 50-200 MB.
const maxHiveBytes = 1 << 30

func (s *Server) installPathFromHive() (string, bool) {
	hivePath, err := s.Resolver.Resolve(SoftwareHive)
	if err != nil {
		return "", false
	}
	f, err := s.FS().Open(hivePath)
	if err != nil {
		s.Errors = append(s.Errors, PathError{hivePath, err})
		return "", false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		s.Errors = append(s.Errors, PathError{hivePath, err})
		return "", false
	}
	if st.Size() > maxHiveBytes {
		s.Errors = append(s.Errors, PathError{hivePath, fmt.Errorf("hive of %d bytes is larger than any real SOFTWARE hive; not read", st.Size())})
		return "", false
	}
	ra, ok := f.(io.ReaderAt)
	if !ok {
		data, err := io.ReadAll(io.LimitReader(f, maxHiveBytes))
		if err != nil {
			s.Errors = append(s.Errors, PathError{hivePath, err})
			return "", false
		}
		ra = strings.NewReader(string(data))
	}
	h, err := winreg.Open(ra, st.Size())
	if err != nil {
		s.Errors = append(s.Errors, PathError{hivePath, err})
		return "", false
	}
	key, err := h.OpenKey(exchangeSetupKey)
	if err != nil {
		if !errors.Is(err, winreg.ErrNotFound) {
			s.Errors = append(s.Errors, PathError{hivePath, err})
		}
		return "", false
	}
	v, err := key.Value("MsiInstallPath")
	if err != nil {
		if !errors.Is(err, winreg.ErrNotFound) {
			s.Errors = append(s.Errors, PathError{hivePath, err})
		}
		return "", false
	}
	install, err := v.String()
	if err != nil || strings.TrimSpace(install) == "" {
		return "", false
	}
	return install, true
}

// Layout search bounds: Exchange sits a few levels below a drive's top, and a
// disk image can hold millions of folders that are not worth walking.
const (
	maxLayoutDepth = 6
	maxLayoutDirs  = 50000
)

// skipInLayoutSearch are folders of a system drive that never hold Exchange
// and are large.
var skipInLayoutSearch = map[string]bool{
	"windows": true, "$recycle.bin": true, "system volume information": true,
	"programdata": true, "users": true, "perflogs": true, "recovery": true,
	"windowsapps": true, "winsxs": true, "$extend": true,
}

func (s *Server) searchLayout() (string, bool) {
	type item struct {
		dir   string
		depth int
	}
	queue := []item{{".", 0}}
	visited := 0
	for len(queue) > 0 && visited < maxLayoutDirs {
		it := queue[0]
		queue = queue[1:]
		visited++
		// Not through the resolver's cache: thousands of listings of
		// unrelated folders would stay in memory for the whole scan.
		entries, err := fs.ReadDir(s.FS(), it.dir)
		if err != nil {
			continue
		}
		if len(queue) > maxLayoutDirs {
			continue // enough folders are waiting; do not go wider
		}
		for _, e := range entries {
			if !e.IsDir() || skipInLayoutSearch[strings.ToLower(e.Name())] {
				continue
			}
			child := path.Join(it.dir, e.Name())
			if strings.EqualFold(e.Name(), "V15") {
				if logging, ok := s.Resolver.ResolveDir(path.Join(child, "Logging")); ok && s.isLoggingFolder(logging) {
					return child, true
				}
			}
			if it.depth+1 < maxLayoutDepth {
				queue = append(queue, item{child, it.depth + 1})
			}
		}
	}
	return "", false
}

// isLoggingFolder reports whether dir holds Exchange's own log families.
func (s *Server) isLoggingFolder(dir string) bool {
	for _, family := range []string{"HttpProxy", "ECP", "OABGeneratorLog"} {
		if _, ok := s.Resolver.ResolveDir(path.Join(dir, family)); ok {
			return true
		}
	}
	return false
}

func (s *Server) locateWebRoot() {
	if cfgPath, err := s.Resolver.Resolve(IISConfigFile); err == nil {
		if f, err := s.FS().Open(cfgPath); err == nil {
			cfg, err := ParseIISConfig(f)
			f.Close()
			if err != nil {
				s.Errors = append(s.Errors, PathError{cfgPath, err})
			} else {
				s.IIS = cfg
				if site, ok := cfg.DefaultWebSite(); ok && site.PhysicalPath != "" {
					if dir, ok := s.Resolver.ResolveDir(ExpandSystemDrive(site.PhysicalPath)); ok {
						s.WebRoot, s.WebRootSource = dir, "IIS applicationHost.config ("+site.Name+")"
						return
					}
					s.note("IIS serves %q from %s, which is not inside this root", site.Name, site.PhysicalPath)
				}
			}
		} else {
			s.Errors = append(s.Errors, PathError{cfgPath, err})
		}
	}
	if dir, ok := s.Resolver.ResolveDir(DefaultWebRoot); ok {
		s.WebRoot, s.WebRootSource = dir, "default IIS web root"
	}
}

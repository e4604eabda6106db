// Package facts is what exhunt knows about one server before it reads any
// evidence: what the scanned folder is (a system drive, the Exchange
// folder, a log folder), where Exchange, its logs, the web root and the
// drop places are on each of the server's volumes, and who the server is
// (host name, domain, Windows, Exchange version and roles).
//
// The facts are gathered once per server into one value that detectors and
// report writers read; no detector looks them up again. Registry values come
// through package sysreg, so the live server and an offline copy give the
// same facts by the same code.
package facts

import (
	"fmt"
	"io/fs"

	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/sysreg"
)

// Well-known places inside a Windows system drive.
const (
	DefaultExchangeDir = "Program Files/Microsoft/Exchange Server/V15"
	// DefaultExchange2010Dir is where Exchange 2010 installs.
	DefaultExchange2010Dir = "Program Files/Microsoft/Exchange Server/V14"
	DefaultWebRoot         = "inetpub/wwwroot"
	IISConfigFile          = "Windows/System32/inetsrv/config/applicationHost.config"
	exchangeKey            = `Microsoft\ExchangeServer\v15`
	exchangeSetupKey       = exchangeKey + `\Setup`
	windowsVersionKey      = `Microsoft\Windows NT\CurrentVersion`
)

// Place is a folder of the server a file check wants to see.
type Place struct {
	// Dir is the resolved folder (a name of the server's file system).
	Dir string
	// MaxDepth limits how deep below Dir files are shown: 1 = only files
	// directly in Dir; 0 = no limit.
	MaxDepth int
}

// PathError is a problem with one input; discovery goes on without it.
type PathError struct {
	Path string
	Err  error
}

// HotSpots are the folders the 2021 campaigns wrote web shells to, resolved
// ("" when absent).
type HotSpots struct {
	AspnetClient, OwaAuth, EcpAuth string
}

// List returns the hot spots that exist.
func (h HotSpots) List() []string {
	var out []string
	for _, d := range []string{h.AspnetClient, h.OwaAuth, h.EcpAuth} {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

// Server is the facts of one server.
type Server struct {
	// Label names the server before its host name is known: the scanned
	// folder's name.
	Label string
	// RootDir is the host folder scanned as the server's system drive (or
	// the part of it that was copied).
	RootDir string
	Kind    Kind
	// KindDetail says what the root was recognised as, for people.
	KindDetail string
	// Live is set when the running system is scanned.
	Live bool

	Drives   *root.Drives
	Resolver *root.Resolver
	Registry sysreg.Registry
	Identity result.Identity
	// Build is what is known of the Exchange build and its updates.
	Build BuildFacts
	// Mitigations are the temporary mitigations in place.
	Mitigations Mitigations

	// ExchangeDir is the V15 folder ("" when not found), ExchangeSource
	// how it was found.
	ExchangeDir    string
	ExchangeSource string
	// LoggingDir is ExchangeDir/Logging, or the root itself when the root
	// is a copy of just the Logging folder.
	LoggingDir string
	// InstallPath is Exchange's install folder as the server names it
	// (MsiInstallPath, e.g. `C:\Program Files\Microsoft\Exchange
	// Server\V15\`); Exchange writes such paths into its logs.
	InstallPath string
	// InstallPathKnown is true when InstallPath comes from the registry;
	// otherwise it is a guess from where the folder sits.
	InstallPathKnown bool
	// SystemBase is the Windows path of the root's top (`C:\`, or the
	// install or log folder when only that was copied).
	SystemBase string

	WebRoot       string
	WebRootSource string
	IIS           *root.IISConfig
	HotSpots      HotSpots
	// WebFolders are where IIS serves code from on an Exchange server: the
	// web root, FrontEnd\HttpProxy and ClientAccess.
	WebFolders []string
	// CompiledFolders are ASP.NET's Temporary ASP.NET Files folders, where
	// IIS keeps the compiled pages (App_Web_*.dll) of every page it ran,
	// web shells included, even after the page itself was deleted.
	CompiledFolders []string
	// IISLogDirs are the IIS log folders (the sites' and the default
	// logFile directory of applicationHost.config and of the earlier
	// configurations IIS kept in inetpub\history, and
	// inetpub\logs\LogFiles), none inside another.
	IISLogDirs []string
	// IISSites are the sites whose log folders (W3SVC<id>) are in the
	// copy, by site ID; see IISSiteOf.
	IISSites []IISSiteLogs
	// EventLogDirs are the folders of the Windows event logs (.evtx):
	// System32\winevt\Logs and any other the registry names.
	EventLogDirs []string
	// LooseEventLogs are event log files or folders given apart from the
	// copy (--evtx), as host paths.
	LooseEventLogs []string
	// DropPlaces are where attackers of the campaign left tools, dumps and
	// archives; UserTemps the users' temporary and desktop folders.
	DropPlaces []Place
	UserTemps  []Place

	// logRoot is set when the root is one log folder: which folder under
	// Logging it is ("HttpProxy", "HttpProxy/Owa", "ECP/Server", ...).
	logRoot string
	// partial says what a copy of part of a server cannot show.
	partial string

	// Notes are facts about discovery worth telling the user.
	Notes []string
	// Errors are inputs that could not be read.
	Errors []PathError
	// Exchange2010Dir is Exchange 2010's install folder (V14) on a server
	// without a later Exchange. The checks of Exchange's own logs are for
	// Exchange 2013 and later, so ExchangeDir stays empty; the build and
	// the web folders are read from it.
	Exchange2010Dir string
	// ExchangeDirMissing is set when --exchange-dir named no folder.
	ExchangeDirMissing bool

	closers []func() error
}

// FS is the server's file system (every volume).
func (s *Server) FS() fs.FS { return s.Drives }

// Close releases open hive files.
func (s *Server) Close() error {
	for _, c := range s.closers {
		c()
	}
	s.closers = nil
	return nil
}

func (s *Server) note(format string, args ...any) {
	s.Notes = append(s.Notes, fmt.Sprintf(format, args...))
}

func (s *Server) fail(p string, err error) {
	s.Errors = append(s.Errors, PathError{Path: p, Err: err})
}

// WindowsPath is where the server itself has a file of its file system.
func (s *Server) WindowsPath(name string) string {
	return root.WindowsPath(name, s.SystemBase)
}

// DefaultPlace names a place at its default path on the system drive
// (rel, such as "inetpub/logs/LogFiles"), for a finding that says it is
// missing: a name of the root when the root is the drive, else the drive
// path ("C:/inetpub/logs/LogFiles"), since a copy of part of the drive
// does not hold it below itself.
func (s *Server) DefaultPlace(rel string) string {
	if len(s.SystemBase) <= 3 {
		return rel
	}
	return root.VolumePath(s.Drives.SystemLetter, rel)
}

// Name is the best name for the server in reports: its host name, else the
// folder's name.
func (s *Server) Name() string {
	if s.Identity.HostName != "" {
		return s.Identity.HostName
	}
	return s.Label
}

// Partial says what a copy of only part of a server cannot show, or "".
func (s *Server) Partial() string { return s.partial }

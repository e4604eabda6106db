package facts

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/exhunt/exhunt/builds"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/source/exlog"
	"github.com/exhunt/exhunt/source/literal"
	"github.com/exhunt/exhunt/source/peversion"
	"github.com/exhunt/exhunt/source/w3c"
	"github.com/exhunt/exhunt/sysreg"
)

// Options steer Gather.
type Options struct {
	// RootDir is the host folder of the system volume, for reports.
	RootDir string
	// Label names the server until its host name is known; default the
	// root folder's name.
	Label string
	// ExchangeDir overrides discovery: a path inside the server (any case,
	// either slash, a drive letter of a mapped volume allowed).
	ExchangeDir string
	// ExchangeDirSource says where ExchangeDir comes from, for the report
	// ("--exchange-dir" when empty).
	ExchangeDirSource string
	// Live reads the running system's registry instead of hive files.
	Live bool
	// SystemLetterFromLayout is set when the system drive's letter comes
	// from the copy's layout (a folder per drive, named by its letter).
	SystemLetterFromLayout bool
}

// Gather learns the facts of the server whose volumes drives holds.
func Gather(drives *root.Drives, opt Options) *Server {
	s := &Server{Drives: drives, RootDir: opt.RootDir, Label: opt.Label, Live: opt.Live}
	if s.Label == "" && opt.RootDir != "" {
		s.Label = filepath.Base(filepath.Clean(opt.RootDir))
	}
	s.Resolver = root.NewVolumeResolver(drives)
	if live, ok := sysreg.NewLive(); ok && opt.Live {
		s.Registry = live
	} else {
		off := sysreg.NewOffline(drives.System, root.NewResolver(drives.System).Resolve)
		s.Registry = off
		s.closers = append(s.closers, off.Close)
		defer func() {
			for _, p := range off.Problems() {
				if p.Note {
					s.note("%s: %v", p.Path, p.Err)
				} else {
					s.fail(p.Path, p.Err)
				}
			}
		}()
	}
	s.systemLetter(opt.SystemLetterFromLayout)

	rec := recognise(drives.System, root.NewResolver(drives.System), ".", s.Label)
	s.Kind, s.KindDetail, s.logRoot = rec.kind, rec.detail, rec.logRoot
	s.locateExchange(opt, rec)
	s.locateExchange2010()
	s.locateWebRoot()
	s.locateEventLogs(rec)
	s.places()
	s.identify()
	s.readBuild()
	s.readExSetup()
	s.readMitigations()
	return s
}

// systemLetter reads the system drive's letter from SystemRoot
// (`C:\Windows`); most servers use C.
func (s *Server) systemLetter(fromLayout bool) {
	sr := sysreg.StringOr(s.Registry, sysreg.Software, windowsVersionKey, "SystemRoot")
	if len(sr) >= 2 && sr[1] == ':' {
		if c := sr[0] | 0x20; c >= 'a' && c <= 'z' {
			l := c - 'a' + 'A'
			switch {
			case l == s.Drives.SystemLetter:
			case fromLayout || s.Drives.Mounted(l):
				// The copy says otherwise (a drive folder's letter, or
				// a volume mapped to that letter): keep it, and say so.
				s.note("the registry says the system drive is %c:, but the copy gives it as %c:; paths are named as the copy gives them", l, s.Drives.SystemLetter)
			default:
				s.Drives.SystemLetter = l
			}
		}
	}
	s.SystemBase = string([]byte{s.Drives.SystemLetter, ':', '\\'})
}

// resolveWindowsDir finds a folder the server names with a Windows path
// (`D:\Exchange\V15\`, `%SystemDrive%\inetpub`): on the volume of its
// letter when that volume is mapped, else on the scan root.
func (s *Server) resolveWindowsDir(p string) (string, bool) {
	p = root.ExpandSystemDrive(p)
	if len(p) >= 2 && p[1] == ':' {
		l := p[0] &^ 0x20
		if l != s.Drives.SystemLetter && !s.Drives.Mounted(l) {
			// A volume that was not mapped: a copy may still hold the
			// folder at the same place under the root.
			return s.Resolver.ResolveDir(p[2:])
		}
	}
	return s.Resolver.ResolveDir(p)
}

// otherVolume returns the letter of a Windows path on a volume that is not
// mapped, or 0.
func (s *Server) otherVolume(p string) byte {
	if len(p) >= 2 && p[1] == ':' {
		l := p[0] &^ 0x20
		if l >= 'A' && l <= 'Z' && l != s.Drives.SystemLetter && !s.Drives.Mounted(l) {
			return l
		}
	}
	return 0
}

func (s *Server) locateExchange(opt Options, rec recognition) {
	// The registry's install path is what Exchange writes into its logs,
	// whichever way the folder itself is found.
	if install := sysreg.StringOr(s.Registry, sysreg.Software, exchangeSetupKey, "MsiInstallPath"); install != "" {
		s.InstallPath, s.InstallPathKnown = install, true
	}
	source := s.Registry.Describe(sysreg.Software) + " (MsiInstallPath)"
	defer func() {
		if s.InstallPath == "" && s.ExchangeDir != "" {
			// WindowsPath of the root's top already ends in `\`.
			s.InstallPath = strings.TrimRight(s.WindowsPath(s.ExchangeDir), `\`) + `\`
		}
		if s.ExchangeDir != "" {
			s.LoggingDir, _ = s.Resolver.ResolveDir(path.Join(s.ExchangeDir, "Logging"))
		}
	}()
	if opt.ExchangeDir != "" {
		if dir, ok := s.resolveWindowsDir(opt.ExchangeDir); ok {
			s.setExchange(dir, cmp.Or(opt.ExchangeDirSource, "--exchange-dir"))
		} else {
			s.ExchangeDirMissing = true
		}
		return
	}
	switch rec.kind {
	case KindExchange:
		s.setExchange(".", "the scanned folder is "+rec.detail)
		s.rebase(s.InstallPath, `C:\`+winSlashes(DefaultExchangeDir)+`\`)
		s.partial = "Only Exchange's folder was copied: the web root (aspnet_client), drop places such as Windows\\Temp and the registry hives were not part of the copy and were not checked."
		return
	case KindLogging:
		s.LoggingDir = "."
		s.ExchangeSource = "the scanned folder is " + rec.detail
		s.rebase(installPathOr(s.InstallPath)+`Logging\`, "")
		s.partial = "Only Exchange's Logging folder was copied: the front-end folders (web shells in owa\\auth, ecp\\auth), the web root and drop places were not part of the copy and were not checked."
		return
	case KindIISLogs:
		s.IISLogDirs = []string{"."}
		base := `C:\inetpub\logs\LogFiles\`
		if _, ok := w3c.SiteID(rec.logRoot); ok {
			base += rec.logRoot + `\`
		}
		s.rebase(base, "")
		s.partial = "Only " + rec.detail + " was copied: Exchange's own logs, its front-end folders, the web root and drop places were not part of the copy and were not checked."
		return
	case KindEventLogs:
		s.rebase(`C:\Windows\System32\winevt\Logs\`, "")
		s.partial = "Only " + rec.detail + " was copied: Exchange's own logs, the IIS logs, the front-end folders, the web root and drop places were not part of the copy and were not checked."
		return
	case KindLogFolder:
		s.ExchangeSource = "the scanned folder is " + rec.detail
		if p, ok := strings.CutPrefix(rec.logRoot, "HttpProxy/"); ok && !httpProxyFolders[strings.ToLower(p)] {
			s.note("the folder's name %q is not one of Exchange's HttpProxy protocol folders: every HttpProxy check read it", p)
		}
		s.rebase(installPathOr(s.InstallPath)+`Logging\`+winSlashes(rec.logRoot)+`\`, "")
		s.partial = "Only " + rec.detail + " was copied: the other log families, the front-end folders, the web root and drop places were not part of the copy and were not checked."
		return
	}
	if s.InstallPath != "" {
		if dir, ok := s.resolveWindowsDir(s.InstallPath); ok {
			s.setExchange(dir, source)
			return
		}
		if l := s.otherVolume(s.InstallPath); l != 0 {
			s.note("the registry says Exchange is installed at %s, on volume %c:, which was not given: add --volume %c=PATH with a copy of that volume", s.InstallPath, l, l)
		} else {
			s.note("the registry says Exchange is installed at %s, which is not in this copy", s.InstallPath)
		}
	}
	if dir, l, ok := s.findDefault(DefaultExchangeDir); ok {
		source := "default install folder"
		if l != 0 {
			source = fmt.Sprintf("default install folder on volume %c:", l)
		}
		s.setExchange(dir, source)
		return
	}
	tops := []string{"."}
	for _, l := range s.Drives.Letters() {
		tops = append(tops, root.VolumePath(l, ""))
	}
	for _, top := range tops {
		found := searchLayout(s.Drives, s.Resolver, top, true, s.fail)
		if len(found) == 0 {
			continue
		}
		s.setExchange(found[0], "found by its V15\\Logging layout")
		if len(found) > 1 {
			s.note("%d Exchange folders were found in this copy (%s); only %s was scanned: give each as its own --root", len(found), strings.Join(found, ", "), found[0])
		}
		if s.Kind == KindUnknown && top == "." {
			s.rebaseOnDefault(found[0])
		}
		return
	}
}

// locateExchange2010 finds Exchange 2010 in its default folder when no
// later Exchange was found on a system drive.
func (s *Server) locateExchange2010() {
	if s.ExchangeDir != "" || s.LoggingDir != "" || s.Kind != KindSystemDrive {
		return
	}
	s.Exchange2010Dir, _, _ = s.findDefault(DefaultExchange2010Dir)
}

// findDefault finds a folder at its default place on the system drive,
// else on another volume (whose letter it returns).
func (s *Server) findDefault(rel string) (dir string, letter byte, ok bool) {
	if dir, ok := s.Resolver.ResolveDir(rel); ok {
		return dir, 0, true
	}
	for _, l := range s.Drives.Letters() {
		if dir, ok := s.Resolver.ResolveDir(root.VolumePath(l, rel)); ok {
			return dir, l, true
		}
	}
	return "", 0, false
}

func winSlashes(p string) string { return strings.ReplaceAll(p, "/", `\`) }

func installPathOr(p string) string {
	if p == "" {
		return `C:\` + winSlashes(DefaultExchangeDir) + `\`
	}
	if !strings.HasSuffix(p, `\`) {
		p += `\`
	}
	return p
}

// rebase sets the Windows path of the root's top when only part of the
// server was copied: the registry's answer when known, else the guess.
func (s *Server) rebase(known, guess string) {
	switch {
	case known != "":
		s.SystemBase = known
	case guess != "":
		s.SystemBase = guess
	}
}

// rebaseOnDefault names the root's top as the server would when the root
// is a folder above a default install, e.g. "Program Files" (Exchange
// found at "Microsoft/Exchange Server/V15" in it): its Windows path is then
// C:\Program Files\.
func (s *Server) rebaseOnDefault(found string) {
	def := strings.Split(DefaultExchangeDir, "/")
	got := strings.Split(found, "/")
	if len(got) >= len(def) {
		return
	}
	tail := def[len(def)-len(got):]
	for i := range got {
		if !strings.EqualFold(got[i], tail[i]) {
			return
		}
	}
	head := def[:len(def)-len(got)]
	s.SystemBase = string([]byte{s.Drives.SystemLetter, ':', '\\'}) + strings.Join(head, `\`) + `\`
	s.KindDetail = `part of a system drive (its \` + strings.Join(head, `\`) + ` folder, with Exchange in it)`
}

func (s *Server) setExchange(dir, source string) {
	s.ExchangeDir = dir
	s.ExchangeSource = source
}

// LogDir returns the folder of a log family given by its place under
// Logging ("HttpProxy", "ECP/Server", "OABGeneratorLog"), and, when the
// scanned root is one protocol folder of it, that folder's name.
func (s *Server) LogDir(sub string) (dir, fixedFolder string, ok bool) {
	if s.LoggingDir != "" {
		d, ok := s.Resolver.ResolveDir(path.Join(s.LoggingDir, sub))
		return d, "", ok
	}
	if s.logRoot == "" {
		return "", "", false
	}
	lr, ls := strings.ToLower(s.logRoot), strings.ToLower(sub)
	switch {
	case lr == ls:
		return ".", "", true
	case strings.HasPrefix(ls, lr+"/"):
		d, ok := s.Resolver.ResolveDir(sub[len(lr)+1:])
		return d, "", ok
	case strings.HasPrefix(lr, ls+"/"):
		// The root is one protocol folder of the family. A copy renamed
		// to something that is not a protocol could hold any protocol's
		// logs: every check of the family reads it.
		folder := s.logRoot[len(ls)+1:]
		if !httpProxyFolders[strings.ToLower(folder)] {
			folder = ""
		}
		return ".", folder, true
	}
	return "", "", false
}

// maxIISConfigBytes is enforced by the parser; the file is opened here.
func (s *Server) locateWebRoot() {
	if cfgPath, err := s.Resolver.Resolve(IISConfigFile); err == nil {
		if f, err := s.Drives.Open(cfgPath); err == nil {
			cfg, err := root.ParseIISConfig(f)
			f.Close()
			if err != nil {
				s.fail(cfgPath, err)
			} else {
				s.IIS = cfg
				if site, ok := cfg.DefaultWebSite(); ok && site.PhysicalPath != "" {
					l := s.otherVolume(root.ExpandSystemDrive(site.PhysicalPath))
					if dir, ok := s.resolveWindowsDir(site.PhysicalPath); ok {
						s.WebRoot, s.WebRootSource = dir, "IIS applicationHost.config ("+site.Name+")"
						if l != 0 {
							// Found at the same place on the system volume,
							// which may be another folder (C:\inetpub\wwwroot
							// stays when the site moves to D:).
							s.note("IIS serves %q from %s, on volume %c:, which was not given: the folder at the same place in this copy (%s) was checked instead; add --volume %c=PATH", site.Name, site.PhysicalPath, l, dir, l)
						}
						return
					}
					if l != 0 {
						s.note("IIS serves %q from %s, on volume %c:, which was not given: add --volume %c=PATH", site.Name, site.PhysicalPath, l, l)
					} else {
						s.note("IIS serves %q from %s, which is not in this copy", site.Name, site.PhysicalPath)
					}
				}
			}
		} else {
			s.fail(cfgPath, err)
		}
	}
	if dir, ok := s.Resolver.ResolveDir(DefaultWebRoot); ok {
		s.WebRoot, s.WebRootSource = dir, "default IIS web root"
	}
}

// dropPlaces are folders where attackers of the campaign left tools, dumps
// and archives, with how deep to look.
var dropPlaces = []Place{
	{Dir: "Windows/Temp", MaxDepth: 4},
	{Dir: "root", MaxDepth: 4},
	{Dir: "ProgramData", MaxDepth: 6},
	{Dir: "Users/Public", MaxDepth: 4},
	{Dir: "PerfLogs", MaxDepth: 4},
	{Dir: ".", MaxDepth: 1},
}

// maxUsers bounds the user profiles whose temporary folders are checked.
const maxUsers = 1000

func (s *Server) places() {
	if s.WebRoot != "" {
		s.HotSpots.AspnetClient, _ = s.Resolver.ResolveDir(path.Join(s.WebRoot, "aspnet_client"))
		s.WebFolders = append(s.WebFolders, s.WebRoot)
	}
	if s.Exchange2010Dir != "" {
		// Exchange 2010's pages; its auth folders hold other files than
		// the later versions', so they are not hot spots.
		if d, ok := s.Resolver.ResolveDir(path.Join(s.Exchange2010Dir, "ClientAccess")); ok {
			s.WebFolders = append(s.WebFolders, d)
		}
	}
	if s.ExchangeDir != "" {
		s.HotSpots.OwaAuth, _ = s.Resolver.ResolveDir(path.Join(s.ExchangeDir, "FrontEnd/HttpProxy/owa/auth"))
		s.HotSpots.EcpAuth, _ = s.Resolver.ResolveDir(path.Join(s.ExchangeDir, "FrontEnd/HttpProxy/ecp/auth"))
		for _, sub := range []string{"FrontEnd/HttpProxy", "ClientAccess"} {
			if d, ok := s.Resolver.ResolveDir(path.Join(s.ExchangeDir, sub)); ok {
				s.WebFolders = append(s.WebFolders, d)
			}
		}
	}
	if s.Kind != KindSystemDrive {
		return // the other places are folders of a system drive
	}
	s.iisLogs()
	for _, fw := range []string{"Framework64", "Framework"} {
		for _, v := range []string{"v4.0.30319", "v2.0.50727"} {
			if d, ok := s.Resolver.ResolveDir(path.Join("Windows/Microsoft.NET", fw, v, "Temporary ASP.NET Files")); ok {
				s.CompiledFolders = append(s.CompiledFolders, d)
			}
		}
	}
	for _, p := range dropPlaces {
		if p.Dir == "." {
			s.DropPlaces = append(s.DropPlaces, p)
			continue
		}
		if d, ok := s.Resolver.ResolveDir(p.Dir); ok {
			s.DropPlaces = append(s.DropPlaces, Place{Dir: d, MaxDepth: p.MaxDepth})
		}
	}
	users, ok := s.Resolver.ResolveDir("Users")
	if !ok {
		return
	}
	entries, more, err := readDirBounded(s.Drives, users, maxUsers)
	if err != nil {
		s.fail(users, err)
	}
	if more {
		s.note("more than %d entries in the Users folder: the temporary folders of the profiles after them were not checked", maxUsers)
	}
	for _, e := range entries {
		if !e.IsDir() || strings.EqualFold(e.Name(), "Public") {
			continue
		}
		for _, sub := range []string{"AppData/Local/Temp", "Desktop"} {
			if d, ok := s.Resolver.ResolveDir(path.Join(users, e.Name(), sub)); ok {
				s.UserTemps = append(s.UserTemps, Place{Dir: d, MaxDepth: 4})
			}
		}
	}
}

// identify reads who the server is: the SYSTEM hive's computer name and
// domain, the SOFTWARE hive's Windows and Exchange versions and roles, and
// when no hive is there, the server name Exchange writes into its logs.
func (s *Server) identify() {
	id := &s.Identity
	r := s.Registry
	const cn = `CurrentControlSet\Control\ComputerName\ComputerName`
	const tcpip = `CurrentControlSet\Services\Tcpip\Parameters`
	if v := sysreg.StringOr(r, sysreg.System, cn, "ComputerName"); v != "" {
		id.HostName, id.HostNameSource = v, r.Describe(sysreg.System)+" (ComputerName)"
	} else if v := sysreg.StringOr(r, sysreg.System, tcpip, "Hostname"); v != "" {
		id.HostName, id.HostNameSource = v, r.Describe(sysreg.System)+" (Tcpip Hostname)"
	}
	id.Domain = sysreg.StringOr(r, sysreg.System, tcpip, "Domain")
	if id.Domain == "" {
		id.Domain = sysreg.StringOr(r, sysreg.System, tcpip, "NV Domain")
	}
	if product := sysreg.StringOr(r, sysreg.Software, windowsVersionKey, "ProductName"); product != "" {
		build := sysreg.StringOr(r, sysreg.Software, windowsVersionKey, "CurrentBuildNumber")
		if build == "" {
			build = sysreg.StringOr(r, sysreg.Software, windowsVersionKey, "CurrentBuild")
		}
		if ubr := sysreg.StringOr(r, sysreg.Software, windowsVersionKey, "UBR"); ubr != "" && build != "" {
			build += "." + ubr
		}
		id.Windows = product
		if build != "" {
			id.Windows += " (build " + build + ")"
		}
	}
	var parts []string
	for _, n := range []string{"MsiProductMajor", "MsiProductMinor", "MsiBuildMajor", "MsiBuildMinor"} {
		v := sysreg.StringOr(r, sysreg.Software, exchangeSetupKey, n)
		if v == "" {
			parts = nil
			break
		}
		parts = append(parts, v)
	}
	if len(parts) == 4 {
		id.Exchange = strings.Join(parts, ".")
		id.ExchangeSource = r.Describe(sysreg.Software) + " (Setup; cumulative update level, security updates not included)"
	}
	if subs, err := r.Subkeys(sysreg.Software, exchangeKey); err == nil {
		for _, k := range subs {
			if len(k) > 4 && strings.EqualFold(k[len(k)-4:], "Role") {
				id.Roles = append(id.Roles, k[:len(k)-4])
			}
		}
		sort.Strings(id.Roles)
	}
	if id.HostName == "" {
		if name, where := s.hostFromLogs(); name != "" {
			id.HostName, id.HostNameSource = name, "server name field of "+where
		}
	}
	if id.HostName != "" && id.Domain != "" {
		id.FQDN = id.HostName + "." + id.Domain
	}
}

// ExSetupPath is where Exchange's ExSetup.exe, whose version is the
// build, lies in the server's file system.
func (s *Server) ExSetupPath() (string, bool) {
	dir := cmp.Or(s.ExchangeDir, s.Exchange2010Dir)
	if dir == "" {
		return "", false
	}
	p, err := s.Resolver.Resolve(path.Join(dir, "Bin/ExSetup.exe"))
	return p, err == nil
}

// readExSetup reads the exact build from ExSetup.exe's version resource,
// and the versioned OWA folders an update writes.
func (s *Server) readExSetup() {
	p, ok := s.ExSetupPath()
	if !ok {
		return
	}
	info, err := peversion.ReadFS(s.Drives, p)
	if err != nil {
		s.fail(p, fmt.Errorf("the Exchange build could not be read from it: %w", err))
		return
	}
	fv := info.FileVersion
	if fv.IsZero() {
		s.fail(p, errors.New("its version resource holds no file version"))
		return
	}
	s.Build.SetExSetupVersion(builds.Version{Major: int(fv[0]), Minor: int(fv[1]), Build: int(fv[2]), Revision: int(fv[3])}, "file version of "+p)
	for _, pr := range s.Build.Problems {
		s.note("%s", pr)
	}
	if s.Build.Precision != "exact" {
		return
	}
	if s.ExchangeDir != "" {
		s.checkProductBinaries()
	}
	if s.HotSpots.OwaAuth != "" {
		if entries, _, err := readDirBounded(s.Drives, s.HotSpots.OwaAuth, maxListed); err == nil {
			var names []string
			for _, e := range entries {
				if e.IsDir() {
					names = append(names, e.Name())
				}
			}
			s.Build.checkOWAFolders(names)
		}
	}
}

// maxBinaries bounds the product binaries whose versions are compared.
const maxBinaries = 200

// checkProductBinaries compares ExSetup.exe's build with the file versions
// of the front end's own assemblies (FrontEnd\HttpProxy\bin): an update
// replaces both, and one that did not finish leaves them apart. Files of
// other products (other versions entirely) are left out.
func (s *Server) checkProductBinaries() {
	dir, ok := s.Resolver.ResolveDir(path.Join(s.ExchangeDir, "FrontEnd/HttpProxy/bin"))
	if !ok {
		return
	}
	entries, _, err := readDirBounded(s.Drives, dir, maxListed)
	if err != nil {
		return
	}
	b := &s.Build
	var newest builds.Version
	newestFile := ""
	n := 0
	for _, e := range entries {
		if n == maxBinaries {
			break
		}
		if !e.Type().IsRegular() || !strings.EqualFold(path.Ext(e.Name()), ".dll") {
			continue
		}
		n++
		info, err := peversion.ReadFS(s.Drives, path.Join(dir, e.Name()))
		if err != nil || info.FileVersion.IsZero() {
			continue
		}
		fv := info.FileVersion
		v := builds.Version{Major: int(fv[0]), Minor: int(fv[1]), Build: int(fv[2]), Revision: int(fv[3])}
		if !v.SameCU(b.Version) {
			continue
		}
		if newestFile == "" || v.Compare(newest) > 0 {
			newest, newestFile = v, e.Name()
		}
	}
	if newestFile != "" && newest != b.Version && !sameUpdate(newest, b.Version) {
		b.Disagreements = append(b.Disagreements, "ExSetup.exe is "+b.Version.String()+" but the front end's "+newestFile+" is "+newest.String())
	}
}

// hostLogBytes bounds the log read for the server's name: the first data
// row is within the first few kilobytes.
const hostLogBytes = 64 << 10

// hostFromLogs reads the server name Exchange writes on every row
// (HttpProxy ServerHostName, ECP Server ServerName) from the first row of
// one log.
func (s *Server) hostFromLogs() (name, where string) {
	for _, fam := range []struct{ sub, field string }{{"HttpProxy", "ServerHostName"}, {"ECP/Server", "ServerName"}} {
		dir, _, ok := s.LogDir(fam.sub)
		if !ok {
			continue
		}
		file := firstLog(s.Drives, dir, 2)
		if file == "" {
			continue
		}
		f, err := s.Drives.Open(file)
		if err != nil {
			continue
		}
		rd := exlog.NewReader(exlog.Options{Matcher: literal.NewMatcher(",")})
		rd.Read(io.LimitReader(f, hostLogBytes), func(rec *exlog.Record) {
			if name == "" {
				name = strings.TrimSpace(rec.Get(fam.field))
			}
		})
		f.Close()
		if name != "" && validHostName(name) {
			return name, file
		}
		name = ""
	}
	return "", ""
}

// validHostName keeps a log's name field from putting arbitrary text where
// reports expect a host name.
func validHostName(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c == '.' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// firstLog finds a *.log file at most depth folders below dir.
func firstLog(fsys fs.FS, dir string, depth int) string {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.EqualFold(path.Ext(e.Name()), ".log") {
			return path.Join(dir, e.Name())
		}
	}
	if depth > 0 {
		for i, e := range entries {
			if i == maxListed {
				break
			}
			if e.IsDir() {
				if f := firstLog(fsys, path.Join(dir, e.Name()), depth-1); f != "" {
					return f
				}
			}
		}
	}
	return ""
}

// readDirBounded lists at most limit entries of dir, reading in chunks so
// that a folder of millions of entries does not fill memory; more is true
// when entries were left out. The entries are sorted by name.
func readDirBounded(fsys fs.FS, dir string, limit int) (entries []fs.DirEntry, more bool, err error) {
	f, err := fsys.Open(dir)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	rd, ok := f.(fs.ReadDirFile)
	if !ok {
		return nil, false, &fs.PathError{Op: "readdir", Path: dir, Err: fs.ErrInvalid}
	}
	for {
		chunk, err := rd.ReadDir(256)
		entries = append(entries, chunk...)
		if len(entries) > limit {
			entries, more = entries[:limit], true
			break
		}
		if err != nil {
			if err != io.EOF {
				return entries, false, err
			}
			break
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	return entries, more, nil
}

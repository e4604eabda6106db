package facts

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/source/w3c"
)

// Kind is what a folder given as a server's root holds.
type Kind string

const (
	// KindSystemDrive is a copy or image of a system drive (Windows,
	// Program Files, inetpub, ...).
	KindSystemDrive Kind = "system-drive"
	// KindExchange is Exchange's install folder (V15) itself.
	KindExchange Kind = "exchange-folder"
	// KindLogging is Exchange's Logging folder.
	KindLogging Kind = "exchange-logging-folder"
	// KindLogFolder is one log folder below Logging (HttpProxy, one of
	// its protocol folders, ECP, ECP\Server, OABGeneratorLog).
	KindLogFolder Kind = "exchange-log-folder"
	// KindIISLogs is a copy of IIS's log folder (LogFiles with its
	// W3SVC<id> site folders, or one site's folder).
	KindIISLogs Kind = "iis-log-folder"
	// KindEventLogs is a copy of Windows' event log folder
	// (System32\winevt\Logs), or any folder of .evtx files.
	KindEventLogs Kind = "event-log-folder"
	// KindUnknown is a folder in which nothing of a server was recognised.
	KindUnknown Kind = "unrecognised"
)

// httpProxyFolders are the protocol folders of Logging\HttpProxy on
// Exchange 2013 to SE.
var httpProxyFolders = map[string]bool{
	"autodiscover": true, "eas": true, "ecp": true, "ews": true, "mapi": true, "oab": true,
	"owa": true, "owacalendar": true, "powershell": true, "rpchttp": true, "rest": true,
	"reportingwebservice": true, "pushnotifications": true, "o365suiteservice": true,
	"e4e": true, "xrop": true, "snackyservice": true, "outlookservice": true,
}

// recognition is what Recognise found.
type recognition struct {
	kind    Kind
	logRoot string
	detail  string
}

// maxListed bounds the entries looked at in one folder while recognising
// it: the evidence is in the names of the first few.
const maxListed = 5000

func listDir(fsys fs.FS, dir string) []fs.DirEntry {
	entries, _ := fs.ReadDir(fsys, dir)
	if len(entries) > maxListed {
		entries = entries[:maxListed]
	}
	return entries
}

// hasLogFile reports whether dir holds a *.log file whose name starts with
// prefix (lower case; "" for any).
func hasLogFile(fsys fs.FS, dir, prefix string) bool {
	for _, e := range listDir(fsys, dir) {
		n := strings.ToLower(e.Name())
		if !e.IsDir() && strings.HasSuffix(n, ".log") && strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

// recognise tells what dir of fsys is. base is the folder's own name (a
// protocol folder is named for its protocol).
func recognise(fsys fs.FS, res *root.Resolver, dir, base string) recognition {
	at := func(rel string) string {
		if dir == "." {
			return rel
		}
		return path.Join(dir, rel)
	}
	isDir := func(rel string) bool { _, ok := res.ResolveDir(at(rel)); return ok }
	exists := func(rel string) bool { _, err := res.Resolve(at(rel)); return err == nil }

	if isDir(DefaultExchangeDir) {
		return recognition{kind: KindSystemDrive, detail: "a system drive with Exchange in its default folder"}
	}
	if isDir("Windows/System32") || isDir("inetpub") || isDir("Program Files") || isDir("ProgramData") {
		return recognition{kind: KindSystemDrive, detail: "a system drive"}
	}
	if isLoggingFolder(res, at("Logging")) || isDir("FrontEnd/HttpProxy") || exists("Bin/ExSetup.exe") {
		return recognition{kind: KindExchange, detail: "Exchange's install folder (V15)"}
	}
	// Before the Logging test: HttpProxy holds an "Ecp" protocol folder,
	// which would pass for Logging's ECP family.
	for _, e := range listDir(fsys, dir) {
		if e.IsDir() && httpProxyFolders[strings.ToLower(e.Name())] && hasLogFile(fsys, at(e.Name()), "httpproxy_") {
			return recognition{kind: KindLogFolder, logRoot: "HttpProxy", detail: "Exchange's Logging\\HttpProxy folder"}
		}
	}
	if isLoggingFolder(res, dir) {
		return recognition{kind: KindLogging, detail: "Exchange's Logging folder"}
	}
	if hasLogFile(fsys, dir, "httpproxy_") {
		return recognition{kind: KindLogFolder, logRoot: "HttpProxy/" + base, detail: "the Logging\\HttpProxy\\" + base + " folder"}
	}
	if p, ok := res.ResolveDir(at("Server")); ok && hasLogFile(fsys, p, "ecpserver") {
		return recognition{kind: KindLogFolder, logRoot: "ECP", detail: "Exchange's Logging\\ECP folder"}
	}
	if hasLogFile(fsys, dir, "ecpserver") {
		return recognition{kind: KindLogFolder, logRoot: "ECP/Server", detail: "Exchange's Logging\\ECP\\Server folder"}
	}
	if hasLogFile(fsys, dir, "oabgenerator") {
		return recognition{kind: KindLogFolder, logRoot: "OABGeneratorLog", detail: "Exchange's Logging\\OABGeneratorLog folder"}
	}
	if hasW3CLog(fsys, dir) {
		return recognition{kind: KindIISLogs, logRoot: base, detail: "an IIS site's log folder (" + orName(base, "W3SVC<id>") + ")"}
	}
	for _, e := range listDir(fsys, dir) {
		if _, ok := w3c.SiteID(e.Name()); ok && e.IsDir() && hasW3CLog(fsys, at(e.Name())) {
			return recognition{kind: KindIISLogs, detail: "IIS's log folder (inetpub\\logs\\LogFiles)"}
		}
	}
	if hasEventLogs(fsys, dir) {
		return recognition{kind: KindEventLogs, detail: "a folder of Windows event logs (winevt\\Logs)"}
	}
	return recognition{kind: KindUnknown, detail: "no part of a Windows system drive or of Exchange was recognised"}
}

// hasW3CLog reports whether dir holds an IIS W3C log file: one named as
// IIS names them (u_ex*.log), or a .log file that starts with IIS's header
// (a log renamed when it was copied).
func hasW3CLog(fsys fs.FS, dir string) bool {
	opened := 0
	for _, e := range listDir(fsys, dir) {
		if e.IsDir() || !e.Type().IsRegular() {
			continue
		}
		if w3c.NameFormat(e.Name()) == w3c.FormatW3C {
			return true
		}
		if opened < maxHeaderPeeks && strings.HasSuffix(strings.ToLower(e.Name()), ".log") {
			opened++
			if IsIISLogHeader(fsys, path.Join(dir, e.Name())) {
				return true
			}
		}
	}
	return false
}

// maxHeaderPeeks bounds the files opened to recognise a folder.
const maxHeaderPeeks = 8

// IsIISLogHeader reports whether the file starts as IIS starts its W3C
// logs ("#Software: Microsoft Internet Information Services").
func IsIISLogHeader(fsys fs.FS, name string) bool {
	f, err := fsys.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [64]byte
	n, _ := io.ReadFull(f, head[:])
	return bytes.HasPrefix(bytes.TrimPrefix(head[:n], []byte{0xEF, 0xBB, 0xBF}), []byte("#Software: Microsoft Internet Information Services"))
}

func orName(name, alt string) string {
	if name == "" || name == "." {
		return alt
	}
	return name
}

// isLoggingFolder reports whether dir holds Exchange's own log families.
// ECP must hold its Server folder: Logging\HttpProxy has a protocol folder
// named Ecp too.
func isLoggingFolder(res *root.Resolver, dir string) bool {
	for _, family := range []string{"HttpProxy", "ECP/Server", "OABGeneratorLog"} {
		if _, ok := res.ResolveDir(path.Join(dir, family)); ok {
			return true
		}
	}
	return false
}

// Layout search bounds: Exchange sits a few levels below a drive's top, and a
// disk image can hold millions of folders that are not worth walking.
const (
	maxLayoutDepth   = 6
	maxLayoutDirs    = 50000
	maxLayoutMatches = 256
)

// skipInLayoutSearch are folders of a system drive that never hold Exchange
// and are large.
var skipInLayoutSearch = map[string]bool{
	"windows": true, "$recycle.bin": true, "system volume information": true,
	"programdata": true, "users": true, "perflogs": true, "recovery": true,
	"windowsapps": true, "winsxs": true, "$extend": true,
}

// searchLayout finds V15 folders with a Logging folder of Exchange's log
// families below dir, breadth first, bounded. Unreadable folders on the
// way are passed to failed.
func searchLayout(fsys fs.FS, res *root.Resolver, dir string, all bool, failed func(string, error)) []string {
	type item struct {
		dir   string
		depth int
	}
	var found []string
	queue := []item{{dir, 0}}
	visited := 0
	for len(queue) > 0 && visited < maxLayoutDirs {
		it := queue[0]
		queue = queue[1:]
		visited++
		// Not through the resolver's cache: thousands of listings of
		// unrelated folders would stay in memory for the whole scan.
		entries, err := fs.ReadDir(fsys, it.dir)
		if err != nil {
			if failed != nil {
				failed(it.dir, err)
			}
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
				if logging, ok := res.ResolveDir(path.Join(child, "Logging")); ok && isLoggingFolder(res, logging) {
					found = append(found, child)
					if !all || len(found) >= maxLayoutMatches {
						return found
					}
					continue
				}
			}
			if it.depth+1 < maxLayoutDepth {
				queue = append(queue, item{child, it.depth + 1})
			}
		}
	}
	return found
}

// ServerDir is one server found in a scan root: its system drive's folder
// and, for a copy laid out as one folder per drive (EX01/C, EX01/D), the
// letter of that drive and the folders of the others by letter.
type ServerDir struct {
	Dir          string
	SystemLetter byte
	Volumes      map[byte]string
}

// Skipped is a folder of a case that was not scanned, with why.
type Skipped struct {
	Dir string
	Why string
}

// driveLetterName reports whether a folder name is a drive letter ("C",
// "d") and which.
func driveLetterName(n string) (byte, bool) {
	if len(n) == 1 && (n[0]|0x20) >= 'a' && (n[0]|0x20) <= 'z' {
		return n[0] &^ 0x20, true
	}
	return 0, false
}

// driveFolders recognises a server copied as one folder per drive: every
// sub-folder is named by a drive letter, and one of them is a system drive.
// It returns the system drive's folder, its letter and the others.
func driveFolders(fsys fs.FS) (ServerDir, bool) {
	drives := map[byte]string{}
	for _, e := range listDir(fsys, ".") {
		if !e.IsDir() {
			continue
		}
		l, ok := driveLetterName(e.Name())
		if !ok {
			return ServerDir{}, false // a case folder, not one server's drives
		}
		drives[l] = e.Name()
	}
	for _, l := range []byte("CDEFGHIJKLMNOPQRSTUVWXYZAB") {
		d, ok := drives[l]
		if !ok {
			continue
		}
		sub, err := fs.Sub(fsys, d)
		if err != nil {
			continue
		}
		if recognise(sub, root.NewResolver(sub), ".", d).kind == KindSystemDrive {
			sd := ServerDir{Dir: d, SystemLetter: l, Volumes: map[byte]string{}}
			for ol, od := range drives {
				if ol != l {
					sd.Volumes[ol] = od
				}
			}
			return sd, true
		}
	}
	return ServerDir{}, false
}

// serverRoots groups the V15 folders found below a folder into servers:
// a default install names its drive (".../EX01/C/Program Files/Microsoft/
// Exchange Server/V15" is the server "EX01/C"); other hits are told apart
// by the first folder in which their paths differ. One server found
// anywhere is the folder itself.
func serverRoots(hits []string) []string {
	if len(hits) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var out, others []string
	suffix := "/" + strings.ToLower(DefaultExchangeDir)
	for _, h := range hits {
		low := strings.ToLower(h)
		switch {
		case low == strings.ToLower(DefaultExchangeDir):
			if !seen["."] {
				seen["."] = true
				out = append(out, ".")
			}
		case strings.HasSuffix(low, suffix):
			r := h[:len(h)-len(suffix)]
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		default:
			others = append(others, h)
		}
	}
	if len(others) > 0 {
		// The deepest folder all hits share; each server is the next
		// folder down on its path.
		common := strings.Split(others[0], "/")
		for _, h := range append(others[1:], out...) {
			parts := strings.Split(h, "/")
			n := 0
			for n < len(common) && n < len(parts) && strings.EqualFold(common[n], parts[n]) {
				n++
			}
			common = common[:n]
		}
		for _, h := range others {
			parts := strings.Split(h, "/")
			r := "."
			if len(parts) > len(common)+1 {
				r = strings.Join(parts[:len(common)+1], "/")
			}
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	if len(out) == 1 && len(others) > 0 {
		return []string{"."}
	}
	sort.Strings(out)
	return out
}

// serversIn recognises the server or servers of one folder: the folder
// itself, its drive folders, or copies found deeper by their V15\Logging
// layout.
func serversIn(fsys fs.FS, base string) (servers []ServerDir, kind Kind, deep bool) {
	res := root.NewResolver(fsys)
	if kind = recognise(fsys, res, ".", base).kind; kind != KindUnknown {
		return []ServerDir{{Dir: "."}}, kind, false
	}
	if sd, ok := driveFolders(fsys); ok {
		return []ServerDir{sd}, KindSystemDrive, false
	}
	for _, r := range serverRoots(searchLayout(fsys, res, ".", true, nil)) {
		servers = append(servers, ServerDir{Dir: r})
	}
	return servers, KindUnknown, true
}

// FindServers tells which folders of a scan root are servers: the root
// itself when it is recognised as a system drive or Exchange's folder, or
// is laid out as one folder per drive; else the servers of each
// sub-folder (a case folder holding copies of several servers); else the
// copies found deeper by their layout. Sub-folders of a case in which no
// server was found are returned as skipped, with why. A root in which
// nothing is recognised is returned as one server, which the scan reports
// as inconclusive.
func FindServers(fsys fs.FS) (servers []ServerDir, skipped []Skipped) {
	res := root.NewResolver(fsys)
	rec := recognise(fsys, res, ".", "")
	switch rec.kind {
	case KindSystemDrive, KindExchange, KindLogging:
		return []ServerDir{{Dir: "."}}, nil
	}
	if sd, ok := driveFolders(fsys); ok {
		return []ServerDir{sd}, nil
	}
	// Sub-folders that are servers make a case, even when the folder also
	// holds a stray log file of its own.
	deepOnly := true
	for _, e := range listDir(fsys, ".") {
		name := e.Name()
		if e.Type()&fs.ModeSymlink != 0 {
			skipped = append(skipped, Skipped{Dir: name, Why: "a symbolic link, not followed: give its target as its own --root"})
			continue
		}
		if !e.IsDir() {
			continue
		}
		sub, err := fs.Sub(fsys, name)
		if err != nil {
			skipped = append(skipped, Skipped{Dir: name, Why: err.Error()})
			continue
		}
		found, kind, deep := serversIn(sub, name)
		if rec.kind == KindLogFolder && kind == KindLogFolder || rec.kind == KindIISLogs && kind == KindIISLogs || rec.kind == KindEventLogs && kind == KindEventLogs {
			// The protocol folders of a copied HttpProxy folder, and the
			// site folders of IIS's LogFiles, are that folder's own, not
			// servers.
			continue
		}
		deepOnly = deepOnly && deep
		if len(found) == 0 {
			skipped = append(skipped, Skipped{Dir: name, Why: "nothing of a server was recognised in it"})
			continue
		}
		for _, sd := range found {
			sd.Dir = path.Join(name, sd.Dir)
			for l, d := range sd.Volumes {
				sd.Volumes[l] = path.Join(name, d)
			}
			servers = append(servers, sd)
		}
	}
	if len(servers) == 1 && deepOnly && rec.kind == KindUnknown {
		// One Exchange folder somewhere below, as on a copy of a data
		// drive: the folder is that server, as it was given.
		return []ServerDir{{Dir: "."}}, nil
	}
	if len(servers) > 0 {
		if rec.kind == KindLogFolder || rec.kind == KindIISLogs || rec.kind == KindEventLogs {
			skipped = append(skipped, Skipped{Dir: ".", Why: "log files lie loose in the case folder beside the servers' folders; they were not scanned (give the folder that holds them as its own --root)"})
		}
		return servers, skipped
	}
	return []ServerDir{{Dir: "."}}, nil
}

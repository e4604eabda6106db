package facts

import (
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/exhunt/exhunt/root"
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

// logFamilies are the log folders below Logging that exhunt reads, with the
// file name prefix of their logs.
var logFamilies = []struct{ sub, prefix string }{
	{"HttpProxy", "httpproxy_"},
	{"ECP/Server", "ecpserver"},
	{"OABGeneratorLog", "oabgenerator"},
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
	return recognition{kind: KindUnknown, detail: "no part of a Windows system drive or of Exchange was recognised"}
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
// folders of its other drives by letter.
type ServerDir struct {
	Dir     string
	Volumes map[byte]string
}

// driveFolders recognises a server copied as one folder per drive: child
// folders named by a single drive letter, one of which is a system drive
// or holds Exchange. It returns the system drive's folder and the others.
func driveFolders(fsys fs.FS, res *root.Resolver, dir string) (ServerDir, bool) {
	drives := map[byte]string{}
	for _, e := range listDir(fsys, dir) {
		n := e.Name()
		if e.IsDir() && len(n) == 1 && (n[0]|0x20) >= 'a' && (n[0]|0x20) <= 'z' {
			drives[n[0]&^0x20] = path.Join(dir, n)
		}
	}
	if len(drives) == 0 {
		return ServerDir{}, false
	}
	system := byte(0)
	for _, l := range []byte("CDEFGHIJKLMNOPQRSTUVWXYZAB") {
		d, ok := drives[l]
		if !ok {
			continue
		}
		if k := recognise(fsys, res, d, string(l)).kind; k == KindSystemDrive {
			system = l
			break
		}
	}
	if system == 0 {
		return ServerDir{}, false
	}
	sd := ServerDir{Dir: drives[system], Volumes: map[byte]string{}}
	for l, d := range drives {
		if l != system {
			sd.Volumes[l] = d
		}
	}
	return sd, true
}

// FindServers tells which folders of a scan root are servers: the root
// itself when it is recognised as (part of) one server, or laid out as one
// folder per drive; else each sub-folder recognised as one (a case folder
// holding copies of several servers); else, when Exchange folders lie
// deeper under different sub-folders, each of those sub-folders. A root in
// which nothing is recognised is returned as one server, which the scan
// reports as inconclusive. In a case folder, the sub-folders in which
// nothing of a server was recognised are returned as skipped, so the
// report can name them.
func FindServers(fsys fs.FS) (servers []ServerDir, skipped []string) {
	res := root.NewResolver(fsys)
	if recognise(fsys, res, ".", "").kind != KindUnknown {
		return []ServerDir{{Dir: "."}}, nil
	}
	if sd, ok := driveFolders(fsys, res, "."); ok {
		return []ServerDir{sd}, nil
	}
	var unknown []string
	for _, e := range listDir(fsys, ".") {
		if !e.IsDir() {
			continue
		}
		if sd, ok := driveFolders(fsys, res, e.Name()); ok {
			servers = append(servers, sd)
		} else if recognise(fsys, res, e.Name(), e.Name()).kind != KindUnknown {
			servers = append(servers, ServerDir{Dir: e.Name()})
		} else {
			unknown = append(unknown, e.Name())
		}
	}
	if len(servers) > 0 {
		return servers, unknown
	}
	seen := map[string]bool{}
	for _, v15 := range searchLayout(fsys, res, ".", true, nil) {
		top, _, _ := strings.Cut(v15, "/")
		if low := strings.ToLower(v15); strings.HasSuffix(low, "/"+strings.ToLower(DefaultExchangeDir)) {
			top = v15[:len(v15)-len(DefaultExchangeDir)-1]
		}
		if !seen[top] {
			seen[top] = true
			servers = append(servers, ServerDir{Dir: top})
		}
	}
	if len(servers) < 2 {
		return []ServerDir{{Dir: "."}}, nil
	}
	sort.Slice(servers, func(i, j int) bool { return servers[i].Dir < servers[j].Dir })
	return servers, nil
}

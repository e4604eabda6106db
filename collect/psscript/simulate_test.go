package psscript

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/sysreg"
	"github.com/exhunt/exhunt/triage"
)

// A model of the collection script in Go, to run where PowerShell is not:
// the same steps, in the same order, on a server whose drives are host
// folders. Each function is named after the script's function it models.
// Where the script calls Windows (robocopy, wevtutil epl, reg save), the
// model copies the file those would produce: the live event log file
// stands for its export, the hive file for its save.

// simServer is the server the model runs on.
type simServer struct {
	// drives maps drive letters to host folders; the output drive is one
	// of them.
	drives map[byte]string
	system byte
	// computer is $env:COMPUTERNAME.
	computer string
	reg      sysreg.Registry
}

func newSimServer(drives map[byte]string, computer string) *simServer {
	s := &simServer{drives: drives, system: 'C', computer: computer}
	fsys := os.DirFS(drives['C'])
	s.reg = sysreg.NewOffline(fsys, root.NewResolver(fsys).Resolve)
	return s
}

// hostPath is where a Windows path of the server lies on the host, names
// matched without case as Windows matches them.
func (s *simServer) hostPath(win string) (string, bool) {
	if len(win) < 2 || win[1] != ':' {
		return "", false
	}
	dir, ok := s.drives[win[0]&^0x20]
	if !ok {
		return "", false
	}
	for _, seg := range strings.Split(win[2:], `\`) {
		if seg == "" || seg == "." {
			continue
		}
		next := filepath.Join(dir, seg)
		if _, err := os.Lstat(next); err != nil {
			entries, err := os.ReadDir(dir)
			if err != nil {
				return "", false
			}
			found := false
			for _, e := range entries {
				if strings.EqualFold(e.Name(), seg) {
					next, found = filepath.Join(dir, e.Name()), true
					break
				}
			}
			if !found {
				return next, false
			}
		}
		dir = next
	}
	return dir, true
}

func (s *simServer) dirExists(win string) bool {
	h, ok := s.hostPath(win)
	if !ok {
		return false
	}
	st, err := os.Stat(h)
	return err == nil && st.IsDir()
}

type simOptions struct {
	outDir                string // -OutDir, a Windows path on one of the drives
	since                 *time.Time
	maxFileMB, maxTotalMB int64
	allExchangeLogs       bool
	skipCredentialHives   bool
	started               time.Time
	// planOnly stops after the checks that may refuse the run.
	planOnly bool
}

// simFile is a FileInfo of the script: the Windows path and the host file.
type simFile struct {
	win, host string
	name      string
	size      int64
	mod       time.Time
}

type workItem struct {
	place Place
	dir   string // Windows path
}

// simRun is one run of the model: the script's script-level variables.
type simRun struct {
	srv  *simServer
	opt  simOptions
	sys  string // $SystemRoot, "C:\"
	win  string // $env:windir
	exch string // $ExchangeDir

	webRoots, iisLogDirs, eventLogDirs []string
	work                               []workItem

	runDir, runHost string
	manifest        strings.Builder
	hashList        strings.Builder
	notes           []string
	taken           map[string]bool
	letters         map[string]bool
	files, partial  int
	skipped, failed int
	bytes, skipB    int64
	planned         int64
	skippedFiles    map[string]int
	skippedBytes    map[string]int64
	sinceUtc        *time.Time
	maxFile, maxTot int64
	links           int
	// refused is what Stop-Refused would print; nothing was collected.
	refused string
}

// formatTime models Format-Time.
func formatTime(t time.Time) string {
	if t.IsZero() || t.UTC().Year() <= 1601 {
		return ""
	}
	return t.UTC().Format(triage.TimeLayout)
}

// csvField models ConvertTo-CsvField.
func csvField(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// jsonString models ConvertTo-JsonString: .NET strings are UTF-16, one
// escape per code unit outside printable ASCII.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range utf16.Encode([]rune(s)) {
		switch {
		case c == 34:
			b.WriteString(`\"`)
		case c == 92:
			b.WriteString(`\\`)
		case c < 32 || c > 126:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(byte(c))
		}
	}
	b.WriteByte('"')
	return b.String()
}

func jsonArray(items []string) string {
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = jsonString(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// formatHashLine models Format-HashLine.
func formatHashLine(sum, name string) string {
	if strings.ContainsAny(name, "\\\n\r") {
		return `\` + sum + "  " + strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`).Replace(name) + "\n"
	}
	return sum + "  " + name + "\n"
}

// collectionRelative models Get-CollectionRelative.
func collectionRelative(win string) (string, bool) {
	if len(win) < 3 || win[1] != ':' || win[2] != '\\' {
		return "", false
	}
	c := win[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return "", false
	}
	return strings.ToUpper(win[:1]) + strings.TrimRight(win[2:], `\`), true
}

func (r *simRun) collectionPath(win string) string {
	rel, _ := collectionRelative(win)
	return r.runDir + `\` + rel
}

// hostOf is where a path of the collection (a Windows path below the run
// folder) is on the host.
func (r *simRun) hostOf(dest string) string {
	rel := strings.TrimPrefix(dest, r.runDir+`\`)
	return filepath.Join(append([]string{r.runHost}, strings.Split(rel, `\`)...)...)
}

// testBelow models Test-Below.
func testBelow(child, parent string) bool {
	c := strings.ToLower(strings.TrimRight(child, `\`))
	p := strings.ToLower(strings.TrimRight(parent, `\`))
	return c == p || strings.HasPrefix(c, p+`\`)
}

// levelsBelow models Get-LevelsBelow.
func levelsBelow(child, parent string) int {
	c, p := strings.TrimRight(child, `\`), strings.TrimRight(parent, `\`)
	if len(c) <= len(p) {
		return 0
	}
	return len(strings.Split(c[len(p)+1:], `\`))
}

// like models -like for the patterns of the tables (* and ?), any case.
func like(name, pattern string) bool {
	ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(name))
	return err == nil && ok
}

// nameWanted models Test-NameWanted.
func nameWanted(name string, p Place) bool {
	for _, x := range p.Exclude {
		if like(name, x) {
			return false
		}
	}
	if len(p.Include) == 0 {
		return true
	}
	for _, x := range p.Include {
		if like(name, x) {
			return true
		}
	}
	return false
}

func (r *simRun) addNote(s string) { r.notes = append(r.notes, s) }

// addManifestRow models Add-ManifestRow.
func (r *simRun) addManifestRow(dest, original string, status triage.Status, method triage.Method, size *int64, sum string, src *simFile, note, reason string) {
	rel := strings.ReplaceAll(strings.TrimPrefix(dest, r.runDir+`\`), `\`, "/")
	sizeText := ""
	if size != nil {
		sizeText = strconv.FormatInt(*size, 10)
	}
	modified := ""
	if src != nil {
		modified = formatTime(src.mod)
	}
	cells := []string{rel, original, string(status), string(method), sizeText, sum, modified, "", "", "", note}
	for i, c := range cells {
		if i > 0 {
			r.manifest.WriteByte(',')
		}
		r.manifest.WriteString(csvField(c))
	}
	r.manifest.WriteString("\r\n")
	switch status {
	case triage.Collected, triage.Partial:
		r.letters[rel[:1]] = true
		r.files++
		r.bytes += *size
		if status == triage.Partial {
			r.partial++
		}
		r.hashList.WriteString(formatHashLine(sum, rel))
	case triage.Skipped:
		r.skipped++
		r.skipB += *size
		r.skippedFiles[reason]++
		r.skippedBytes[reason] += *size
	default:
		r.failed++
	}
}

// writeRecord models Write-Record.
func (r *simRun) writeRecord(complete bool, interrupted, manifestSum string) error {
	var fields []string
	add := func(s string) { fields = append(fields, s) }
	add(`"format": ` + jsonString(triage.Format))
	add(`"format_version": ` + strconv.Itoa(triage.FormatVersion))
	add(`"tool": {"name": ` + jsonString(ToolName) + `, "version": ` + jsonString("model") + `}`)
	add(`"host": ` + jsonString(r.srv.computer))
	add(`"command_line": ` + jsonArray([]string{`C:\collect.ps1`, "-OutDir", r.opt.outDir}))
	add(`"user": ` + jsonString(`CONTOSO\admin`))
	add(`"collector": ` + jsonString(r.srv.computer))
	add(`"source": "live"`)
	var letters, volumes []string
	for l := range r.letters {
		letters = append(letters, l)
	}
	sort.Strings(letters)
	for _, l := range letters {
		volumes = append(volumes, `{"letter": `+jsonString(l)+`, "source": `+jsonString(l+`:\`)+`}`)
	}
	add(`"volumes": [` + strings.Join(volumes, ", ") + `]`)
	add(`"started": ` + jsonString(formatTime(r.opt.started)))
	add(`"ended": ` + jsonString(formatTime(time.Now())))
	if complete {
		add(`"complete": true`)
	} else {
		add(`"complete": false`)
		add(`"interrupted": ` + jsonString(interrupted))
	}
	if r.sinceUtc != nil {
		add(`"since": ` + jsonString(formatTime(*r.sinceUtc)))
	}
	add(fmt.Sprintf(`"limits": {"max_file_size": %d, "max_total_size": %d}`, r.maxFile, r.maxTot))
	add(fmt.Sprintf(`"counts": {"files": %d, "bytes": %d, "partial": %d, "skipped": %d, "skipped_bytes": %d, "failed": %d}`,
		r.files, r.bytes, r.partial, r.skipped, r.skipB, r.failed))
	var skipped []string
	for _, reason := range SkipReasons {
		if r.skippedFiles[reason] > 0 {
			skipped = append(skipped, fmt.Sprintf(`{"reason": %s, "files": %d, "bytes": %d}`, jsonString(reason), r.skippedFiles[reason], r.skippedBytes[reason]))
		}
	}
	add(`"skipped": [` + strings.Join(skipped, ", ") + `]`)
	add(`"manifest_sha256": ` + jsonString(manifestSum))
	add(`"notes": ` + jsonArray(r.notes))
	text := "{\n  " + strings.Join(fields, ",\n  ") + "\n}\n"
	return os.WriteFile(filepath.Join(r.runHost, triage.RecordName), []byte(text), 0o644)
}

// findExchange models Find-Exchange.
func (r *simRun) findExchange() {
	for _, v := range []string{"v15", "v14"} {
		val := sysreg.StringOr(r.srv.reg, sysreg.Software, `Microsoft\ExchangeServer\`+v+`\Setup`, "MsiInstallPath")
		if val != "" && r.srv.dirExists(val) {
			r.exch = strings.TrimRight(val, `\`)
			return
		}
	}
	if def := r.sys + winPath(facts.DefaultExchangeDir); r.srv.dirExists(def) {
		r.exch = def
	}
}

// expandServerPath models Expand-ServerPath for the variables IIS and the
// registry use.
func (r *simRun) expandServerPath(v string) string {
	for _, e := range []struct{ name, value string }{{"%SystemDrive%", r.sys[:2]}, {"%SystemRoot%", r.win}, {"%windir%", r.win}} {
		for {
			i := strings.Index(strings.ToLower(v), strings.ToLower(e.name))
			if i < 0 {
				break
			}
			v = v[:i] + e.value + v[i+len(e.name):]
		}
	}
	return strings.TrimRight(v, `\`)
}

func addUnique(list *[]string, dir string) {
	if dir == "" {
		return
	}
	for _, d := range *list {
		if strings.EqualFold(d, dir) {
			return
		}
	}
	*list = append(*list, dir)
}

// readIISConfig models Read-IISConfig.
func (r *simRun) readIISConfig(file string, wantWebRoot bool) {
	h, ok := r.srv.hostPath(file)
	if !ok {
		return
	}
	f, err := os.Open(h)
	if err != nil {
		return
	}
	cfg, err := root.ParseIISConfig(f)
	f.Close()
	if err != nil {
		r.addNote("could not read " + file + ": " + err.Error())
		return
	}
	dirs := []string{cfg.DefaultLogDirectory}
	for _, s := range cfg.Sites {
		dirs = append(dirs, s.LogDirectory)
	}
	dirs = append(dirs, cfg.CentralW3CLogDirectory)
	for _, d := range dirs {
		if e := r.expandServerPath(d); e != "" && r.srv.dirExists(e) {
			addUnique(&r.iisLogDirs, e)
		}
	}
	if !wantWebRoot {
		return
	}
	if site, ok := cfg.DefaultWebSite(); ok {
		if d := r.expandServerPath(site.PhysicalPath); d != "" && r.srv.dirExists(d) {
			addUnique(&r.webRoots, d)
		}
	}
}

// findIIS models Find-IIS.
func (r *simRun) findIIS() {
	r.readIISConfig(r.sys+winPath(facts.IISConfigFile), true)
	history := r.sys + winPath(facts.IISHistoryDir)
	if h, ok := r.srv.hostPath(history); ok {
		entries, _ := os.ReadDir(h)
		for _, e := range entries {
			if e.IsDir() && like(e.Name(), "CFGHISTORY_*") {
				r.readIISConfig(history+`\`+e.Name()+`\applicationHost.config`, false)
			}
		}
	}
	if d := r.sys + winPath(facts.DefaultWebRoot); r.srv.dirExists(d) {
		addUnique(&r.webRoots, d)
	}
	if d := r.expandServerPath(facts.DefaultIISLogDir); r.srv.dirExists(d) {
		addUnique(&r.iisLogDirs, d)
	}
}

// findEventLogDirs models Find-EventLogDirs.
func (r *simRun) findEventLogDirs() {
	addUnique(&r.eventLogDirs, r.sys+EventLogDir)
	for _, log := range []string{"Application", "Security", "System"} {
		file := sysreg.StringOr(r.srv.reg, sysreg.System, `CurrentControlSet\Services\EventLog\`+log, "File")
		if file == "" {
			continue
		}
		e := r.expandServerPath(file)
		if i := strings.LastIndexByte(e, '\\'); i > 0 {
			if d := e[:i]; r.srv.dirExists(d) {
				addUnique(&r.eventLogDirs, d)
			}
		}
	}
}

// baseDirs models Get-BaseDirs.
func (r *simRun) baseDirs(b Base) []string {
	switch b {
	case SystemDrive:
		return []string{r.sys}
	case Exchange:
		if r.exch != "" {
			return []string{r.exch}
		}
	case WebRoot:
		return r.webRoots
	case IISLogs:
		return r.iisLogDirs
	case EventLogs:
		return r.eventLogDirs
	}
	return nil
}

// resolvePlaceDirs models Resolve-PlaceDirs.
func (r *simRun) resolvePlaceDirs(p Place) []string {
	current := append([]string(nil), r.baseDirs(p.Base)...)
	if p.Path != "." {
		for _, seg := range strings.Split(p.Path, `\`) {
			var next []string
			for _, dir := range current {
				if strings.ContainsAny(seg, "*?") {
					h, ok := r.srv.hostPath(dir)
					if !ok {
						continue
					}
					entries, _ := os.ReadDir(h)
					for _, e := range entries {
						if e.IsDir() && like(e.Name(), seg) {
							next = append(next, strings.TrimRight(dir, `\`)+`\`+e.Name())
						}
					}
				} else if c := strings.TrimRight(dir, `\`) + `\` + seg; r.srv.dirExists(c) {
					next = append(next, c)
				}
			}
			current = next
		}
	}
	var out []string
	for _, d := range current {
		out = append(out, formatDir(d))
	}
	return out
}

// formatDir models Format-Dir.
func formatDir(d string) string {
	d = strings.TrimRight(d, `\`)
	if len(d) == 2 && d[1] == ':' {
		return d + `\`
	}
	return d
}

// placeFiles models Get-PlaceFiles.
func (r *simRun) placeFiles(dir string, p Place) []simFile {
	var found []simFile
	type folder struct {
		win   string
		level int
	}
	stack := []folder{{dir, 1}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		h, ok := r.srv.hostPath(f.win)
		if !ok {
			r.addNote("could not list " + f.win)
			continue
		}
		entries, err := os.ReadDir(h)
		if err != nil {
			r.addNote("could not list " + f.win + ": " + err.Error())
			continue
		}
		var subs []string
		for _, e := range entries {
			win := strings.TrimRight(f.win, `\`) + `\` + e.Name()
			switch {
			case e.Type()&os.ModeSymlink != 0:
				if st, err := os.Stat(filepath.Join(h, e.Name())); err == nil && st.IsDir() {
					r.links++
				} else if err == nil && nameWanted(e.Name(), p) {
					found = append(found, simFile{win: win, host: filepath.Join(h, e.Name()), name: e.Name(), size: st.Size(), mod: st.ModTime()})
				}
			case e.IsDir():
				if p.Depth == 0 || f.level < p.Depth {
					subs = append(subs, win)
				}
			case nameWanted(e.Name(), p):
				st, err := e.Info()
				if err != nil {
					continue
				}
				found = append(found, simFile{win: win, host: filepath.Join(h, e.Name()), name: e.Name(), size: st.Size(), mod: st.ModTime()})
			}
		}
		for i := len(subs) - 1; i >= 0; i-- {
			stack = append(stack, folder{subs[i], f.level + 1})
		}
	}
	return found
}

// skipReason models Get-SkipReason.
func (r *simRun) skipReason(f simFile, p Place) (reason, note string) {
	switch {
	case p.Logs && r.sinceUtc != nil && f.mod.Before(*r.sinceUtc):
		return SkipSince, "last written " + formatTime(f.mod) + ", before -Since " + formatTime(*r.sinceUtc)
	case r.maxFile > 0 && f.size > r.maxFile:
		return SkipFileSize, fmt.Sprintf("larger than -MaxFileSizeMB %d", r.opt.maxFileMB)
	case r.maxTot > 0 && r.planned+f.size > r.maxTot:
		return SkipTotalSize, fmt.Sprintf("over -MaxTotalSizeMB %d with the files taken before it", r.opt.maxTotalMB)
	}
	return "", ""
}

// copyFile stands for robocopy /B /COPY:DAT: the bytes, and the times.
func copyFile(src, dst string, mod time.Time) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if mod.IsZero() {
		return nil
	}
	return os.Chtimes(dst, mod, mod)
}

// fileSha256 models Get-FileSha256.
func fileSha256(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// copyFolder models Copy-Folder when robocopy copies every file.
func (r *simRun) copyFolder(sourceDir string, files []simFile) {
	destDir := r.collectionPath(sourceDir)
	for _, f := range files {
		dest := destDir + `\` + f.name
		if err := copyFile(f.host, r.hostOf(dest), f.mod); err != nil {
			size := f.size
			r.addManifestRow(dest, f.win, triage.Failed, triage.MethodRead, &size, "", &f, "could not be read: "+err.Error(), "")
			continue
		}
		sum, n, err := fileSha256(r.hostOf(dest))
		if err != nil {
			panic(err)
		}
		r.addManifestRow(dest, f.win, triage.Collected, triage.MethodRobocopy, &n, sum, &f, "", "")
	}
}

// invokePlace models Invoke-Place.
func (r *simRun) invokePlace(p Place, dir string) {
	files := r.placeFiles(dir, p)
	var order []string
	groups := map[string][]simFile{}
	for _, f := range files {
		key := strings.ToLower(f.win)
		if r.taken[key] {
			continue
		}
		r.taken[key] = true
		if reason, note := r.skipReason(f, p); reason != "" {
			size := f.size
			r.addManifestRow(r.collectionPath(f.win), f.win, triage.Skipped, "", &size, "", &f, note, reason)
			continue
		}
		r.planned += f.size
		folder := formatDir(f.win[:strings.LastIndexByte(f.win, '\\')]) // DirectoryName
		if _, ok := groups[folder]; !ok {
			order = append(order, folder)
		}
		groups[folder] = append(groups[folder], f)
	}
	for _, folder := range order {
		r.copyFolder(folder, groups[folder])
	}
}

// exportEventLogs models Export-EventLogs: the channel's live file stands
// for what wevtutil epl writes.
func (r *simRun) exportEventLogs() {
	destDir := r.runDir + `\` + string(r.srv.system) + `\` + EventLogDir
	for _, ch := range Channels {
		logFile := r.sys + EventLogDir + `\` + EventLogFileName(ch)
		h, ok := r.srv.hostPath(logFile)
		if !ok {
			r.addNote("event log channel " + ch + " is not on this server")
			continue
		}
		st, _ := os.Stat(h)
		original := &simFile{win: logFile, host: h, name: st.Name(), size: st.Size(), mod: st.ModTime()}
		dest := destDir + `\` + EventLogFileName(ch)
		r.taken[strings.ToLower(logFile)] = true
		if err := copyFile(h, r.hostOf(dest), time.Time{}); err != nil {
			r.addManifestRow(dest, logFile, triage.Failed, triage.MethodEventLogExport, nil, "", original, "wevtutil epl "+ch+" failed: "+err.Error(), "")
			continue
		}
		sum, n, _ := fileSha256(r.hostOf(dest))
		r.planned += n
		r.addManifestRow(dest, logFile, triage.Collected, triage.MethodEventLogExport, &n, sum, original, "exported from the "+ch+" channel with wevtutil epl; times are the log file's", "")
	}
}

// saveHives models Save-Hives: the hive file stands for what reg save
// writes; a hive the server lacks fails as reg save would.
func (r *simRun) saveHives() {
	destDir := r.runDir + `\` + string(r.srv.system) + `\` + HiveDir
	for _, hv := range Hives {
		if hv.Secret && r.opt.skipCredentialHives {
			r.addNote(hv.Key + " was left out (-SkipCredentialHives)")
			continue
		}
		dest := destDir + `\` + hv.File
		originalPath := r.win + `\System32\config\` + hv.File
		r.taken[strings.ToLower(originalPath)] = true
		h, ok := r.srv.hostPath(originalPath)
		var original *simFile
		if ok {
			st, _ := os.Stat(h)
			original = &simFile{win: originalPath, host: h, name: st.Name(), size: st.Size(), mod: st.ModTime()}
		}
		if !ok {
			r.addManifestRow(dest, originalPath, triage.Failed, triage.MethodRegistrySave, nil, "", original, "reg save "+hv.Key+" failed (exit code 1): ERROR: The system was unable to find the specified registry key or value.", "")
			continue
		}
		if err := copyFile(h, r.hostOf(dest), time.Time{}); err != nil {
			panic(err)
		}
		sum, n, _ := fileSha256(r.hostOf(dest))
		r.planned += n
		r.addManifestRow(dest, originalPath, triage.Collected, triage.MethodRegistrySave, &n, sum, original, "saved from "+hv.Key+" with reg save; times are the hive file's", "")
	}
}

// outDirRefusal models the -OutDir checks: "" when the folder may be
// written to.
func (r *simRun) outDirRefusal(outFull string) string {
	for _, w := range r.work {
		if testBelow(outFull, w.dir) {
			below := levelsBelow(outFull, w.dir)
			if w.place.Depth == 0 || below+1 <= w.place.Depth {
				return "-OutDir " + outFull + " is inside " + w.dir + ", which this script collects"
			}
		}
	}
	for _, d := range []string{r.win, r.exch} {
		if d != "" && testBelow(outFull, d) {
			return "-OutDir " + outFull + " is inside " + d
		}
	}
	return ""
}

// simulate runs the model of the script on srv and returns the run: its
// runHost is the collection's folder on the host.
func simulate(srv *simServer, opt simOptions) (*simRun, error) {
	if opt.started.IsZero() {
		opt.started = time.Now().UTC()
	}
	r := &simRun{srv: srv, opt: opt, sys: string(srv.system) + `:\`, win: string(srv.system) + `:\Windows`,
		taken: map[string]bool{}, letters: map[string]bool{}, skippedFiles: map[string]int{}, skippedBytes: map[string]int64{}}
	r.sinceUtc = opt.since
	r.maxFile, r.maxTot = opt.maxFileMB<<20, opt.maxTotalMB<<20
	r.findExchange()
	if r.exch == "" {
		r.addNote("Exchange was not found on this server (no MsiInstallPath in the registry, no ExchangeInstallPath, no default folder)")
	}
	r.findIIS()
	r.findEventLogDirs()
	for _, p := range Places {
		if p.Switch == SwitchAllExchangeLogs && !opt.allExchangeLogs {
			continue
		}
		for _, d := range r.resolvePlaceDirs(p) {
			if _, ok := collectionRelative(d); !ok {
				r.addNote(d + " is not on a drive letter of this server: it was not collected")
				continue
			}
			r.work = append(r.work, workItem{p, d})
		}
	}
	outFull := strings.TrimRight(opt.outDir, `\`)
	if r.refused = r.outDirRefusal(outFull); r.refused != "" || opt.planOnly {
		return r, nil
	}
	runName := srv.computer + "-" + opt.started.UTC().Format("20060102T150405Z")
	r.runDir = outFull + `\` + runName
	rel, ok := collectionRelative(r.runDir)
	if !ok || srv.drives[rel[0]] == "" {
		return nil, fmt.Errorf("-OutDir %s is on no drive of the model", opt.outDir)
	}
	r.runHost = filepath.Join(append([]string{srv.drives[rel[0]]}, strings.Split(rel[2:], `\`)...)...)
	if err := os.MkdirAll(r.runHost, 0o755); err != nil {
		return nil, err
	}
	var header []string
	for _, h := range triage.ManifestHeader {
		header = append(header, csvField(h))
	}
	r.manifest.WriteString(strings.Join(header, ",") + "\r\n")
	if err := r.writeRecord(false, "the collection script has not finished: it is running, or it was stopped before the end", ""); err != nil {
		return nil, err
	}
	r.exportEventLogs()
	r.saveHives()
	for _, w := range r.work {
		r.invokePlace(w.place, w.dir)
	}
	if r.links > 0 {
		r.addNote(fmt.Sprintf("%d links to folders (junctions, symbolic links, mount points) inside the places were not followed", r.links))
	}
	manifestPath := filepath.Join(r.runHost, triage.ManifestName)
	if err := os.WriteFile(manifestPath, []byte(r.manifest.String()), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(r.runHost, triage.HashListName), []byte(r.hashList.String()), 0o644); err != nil {
		return nil, err
	}
	sum, _, err := fileSha256(manifestPath)
	if err != nil {
		return nil, err
	}
	return r, r.writeRecord(true, "", sum)
}

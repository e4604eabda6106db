package correlate

import (
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

// session is one client's working state.
type session struct {
	ip string
	// own are the client's findings; joined those tied to it by an ECP
	// canary (ECP Server log lines, which carry no client address).
	own, joined []int
	canaries    map[string]bool
	files       map[[2]string][]string // (path, how) -> file finding ids
	mailboxes   map[string]bool
	out         result.Session
	rank        int // outcome rank: 2 successful, 1 attempted, 0 probing
}

// makesActor tells whether a finding turns its client into an attacker
// worth a session: exploitation or web shell use of any grade, a write
// seen in a log, or the probes that aim at this chain (forged back-end
// requests, requests for shell names). Other attempts (traffic from an
// indicator address alone) join the session of a client that is an
// actor, but do not make one.
func makesActor(f *finding.Finding) bool {
	if f.SourceIP == "" {
		return false
	}
	switch f.Stage {
	case finding.StageExploitation, finding.StageWebshellUse:
		return true
	case finding.StageWebshellWritten:
		return f.Line > 0
	case finding.StageAttempt:
		return isChainProbe(f.Rule)
	}
	return false
}

// isAttemptAnchor tells whether a finding may date the first
// exploitation attempt: an attempt at this chain, or a later step. Other
// attempt-stage findings (traffic from an indicator address) are not an
// exploitation attempt.
func isAttemptAnchor(f *finding.Finding) bool {
	if f.Stage == finding.StageAttempt {
		return isChainProbe(f.Rule)
	}
	// Post-exploitation files (archives, dumps) are weak anchors for when
	// the attack began: they are often older than it.
	return stageRank(f.Stage) < stageRank(finding.StagePostExploitation)
}

// isChainProbe names the attempt rules that aim at this chain: the forged
// back-end requests (rule ids proxylogon-ssrf*, and their front doors in
// the IIS logs) and requests for web shell names that were not served
// (webshell-*probe, iis-webshell-probe).
func isChainProbe(rule string) bool {
	return strings.HasPrefix(rule, "proxylogon-ssrf") || strings.HasPrefix(rule, "webshell") && strings.HasSuffix(rule, "probe") ||
		chainProbesInIIS[rule]
}

var chainProbesInIIS = map[string]bool{
	"iis-ssrf-front-door": true, "iis-exploit-post-target": true, "iis-webshell-probe": true, "iis-attacker-user-agent": true,
}

func (c *correlation) buildSessions() {
	actors := map[string]bool{}
	for _, i := range c.attack {
		if f := &c.fs[i]; makesActor(f) {
			actors[f.SourceIP] = true
		}
	}
	for _, i := range c.attack {
		f := &c.fs[i]
		if f.SourceIP == "" || !actors[f.SourceIP] {
			continue
		}
		s := c.sessions[f.SourceIP]
		if s == nil {
			s = &session{ip: f.SourceIP}
			c.sessions[f.SourceIP] = s
		}
		s.own = append(s.own, i)
	}
	for _, i := range c.activity {
		if s := c.sessions[c.fs[i].SourceIP]; s != nil {
			s.own = append(s.own, i)
		}
	}
}

// sessionsOf returns the sessions a finding belongs to: its client's, or
// those it was joined to.
func (c *correlation) sessionsOf(i int) []*session {
	if ip := c.fs[i].SourceIP; ip != "" {
		if s := c.sessions[ip]; s != nil {
			return []*session{s}
		}
		return nil
	}
	return c.joined[i]
}

// canaryKey starts the ECP session token in a URL.
const canaryKey = "msexchecpcanary="

// canariesOf returns the msExchEcpCanary values in a finding's evidence
// and URL (HttpProxy rows carry it in AnchorMailbox and the target path,
// ECP Server lines in S:URL).
func canariesOf(f *finding.Finding) []string {
	var out []string
	add := func(v string) {
		if !strings.Contains(v, "=") {
			return // most values: no parameter, no canary
		}
		low := strings.ToLower(v)
		for from := 0; ; {
			i := strings.Index(low[from:], canaryKey)
			if i < 0 {
				return
			}
			start := from + i + len(canaryKey)
			end := start
			for end < len(v) && !strings.ContainsRune("&#;\"', \t\r\n?/", rune(v[end])) {
				end++
			}
			if c := v[start:end]; c != "" && len(c) <= 256 {
				dup := false
				for _, o := range out {
					dup = dup || o == c
				}
				if !dup {
					out = append(out, c)
				}
			}
			from = end
		}
	}
	for _, e := range f.Evidence {
		add(e.Value)
	}
	add(f.URL)
	return out
}

// joinCanaries ties ECP Server log findings to the sessions whose forged
// requests carry the same canary: the same ECP session, so the same
// attacker. A canary shared by several clients ties them as well.
func (c *correlation) joinCanaries() {
	by := map[string][]int{}
	for _, i := range c.attack {
		for _, v := range canariesOf(&c.fs[i]) {
			by[v] = append(by[v], i)
			if s := c.sessions[c.fs[i].SourceIP]; s != nil && c.fs[i].SourceIP != "" {
				if s.canaries == nil {
					s.canaries = map[string]bool{}
				}
				s.canaries[v] = true
			}
		}
	}
	values := make([]string, 0, len(by))
	for v := range by {
		values = append(values, v)
	}
	sort.Strings(values)
	for _, v := range values {
		members := by[v]
		ips := map[string]bool{}
		var sessions []*session
		var bare []int
		for _, i := range members {
			ip := c.fs[i].SourceIP
			if ip == "" {
				bare = append(bare, i)
				continue
			}
			if !ips[ip] {
				ips[ip] = true
				if s := c.sessions[ip]; s != nil {
					sessions = append(sessions, s)
				}
			}
		}
		if !(len(bare) > 0 && len(sessions) > 0 || len(ips) > 1) {
			continue
		}
		for _, i := range bare {
			for _, s := range sessions {
				if !containsSession(c.joined[i], s) {
					c.joined[i] = append(c.joined[i], s)
					s.joined = append(s.joined, i)
				}
			}
		}
		j := result.Join{By: result.JoinEcpCanary, Value: v, SourceIPs: sortedKeys(ips)}
		c.cite(&j, members)
		switch {
		case len(ips) > 1:
			j.Note = "one ECP session used from several client addresses"
		case len(sessions) == 0:
			j.Note = "the clients of this ECP session made no attacker session"
		}
		c.joins = append(c.joins, j)
	}
}

func containsSession(list []*session, s *session) bool {
	for _, o := range list {
		if o == s {
			return true
		}
	}
	return false
}

// maxJoinFindings bounds the findings a join lists (a shell used
// thousands of times is one join).
const maxJoinFindings = 100

// cite lists a join's findings, sorted and bounded.
func (c *correlation) cite(j *result.Join, members []int) {
	seen := map[string]bool{}
	for _, i := range members {
		seen[fingerprint(&c.fs[i])] = true
	}
	ids := sortedKeys(seen)
	if len(ids) > maxJoinFindings {
		j.FindingsNotListed = len(ids) - maxJoinFindings
		ids = ids[:maxJoinFindings]
	}
	j.Findings = ids
}

// writtenPaths returns the Windows paths a log finding says were written:
// the FilePathName parameter of a virtual directory reset, when a log
// carries it, the OAB generator's temporary file (its Path), the file an
// event log saw written (file), and the -FilePath or -RequestFile of a
// cmdlet that exports to a file (in its parameters or command line).
func writtenPaths(f *finding.Finding) []string {
	if f.Line == 0 || f.Stage != finding.StageWebshellWritten {
		return nil
	}
	var out []string
	for _, e := range f.Evidence {
		switch {
		case e.Name == "Path" || strings.EqualFold(e.Name, "FilePathName") || e.Name == "file":
			if p := strings.TrimSpace(strings.Trim(e.Value, `"'`)); isWindowsPath(p) {
				out = append(out, p)
			}
		case e.Name == "parameters" || e.Name == "command_line":
			for _, m := range cmdletFileParam.FindAllStringSubmatch(e.Value, -1) {
				if p := strings.TrimSpace(m[1]); isWindowsPath(p) {
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// cmdletFileParam is the file a cmdlet writes: -FilePath or -RequestFile,
// quoted or not.
var cmdletFileParam = regexp.MustCompile(`(?i)-(?:FilePath|RequestFile)[:\s]+['"]?([^'"\s]+)`)

// isWindowsPath accepts drive paths (C:\...) and UNC paths (\\host\...).
func isWindowsPath(p string) bool {
	if len(p) >= 3 && (p[0]|0x20) >= 'a' && (p[0]|0x20) <= 'z' && p[1] == ':' && (p[2] == '\\' || p[2] == '/') {
		return true
	}
	return strings.HasPrefix(p, `\\`) && len(p) > 2
}

// pathKey makes Windows paths comparable: lower case, backslashes, dot
// segments resolved (an OAB download to ClientAccess\OAB\..\..\FrontEnd
// lands in FrontEnd), the \\?\ prefix dropped, and an administrative share
// of this server (\\127.0.0.1\c$\..., \\localhost\C$\..., \\<its name>\c$\...)
// read as the drive it stands for, as attackers wrote FilePathName.
func (c *correlation) pathKey(p string) string {
	p = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(p), "/", `\`))
	p = strings.TrimPrefix(p, `\\?\`)
	prefix := ""
	if rest, ok := strings.CutPrefix(p, `\\`); ok {
		parts := strings.SplitN(rest, `\`, 3)
		if len(parts) == 3 && len(parts[1]) == 2 && parts[1][1] == '$' && c.isThisHost(parts[0]) {
			p = parts[1][:1] + `:\` + parts[2]
		} else {
			prefix, p = `\\`, rest
		}
	}
	clean := path.Clean(strings.ReplaceAll(p, `\`, "/"))
	return prefix + strings.ReplaceAll(clean, "/", `\`)
}

// isRemote tells a path key on another machine's share.
func isRemote(key string) bool { return strings.HasPrefix(key, `\\`) }

func (c *correlation) isThisHost(h string) bool {
	switch h {
	case "127.0.0.1", "localhost", "::1", "[::1]", ".":
		return true
	}
	id := c.srv.Server
	for _, n := range []string{id.HostName, id.FQDN} {
		if n != "" && strings.EqualFold(h, n) {
			return true
		}
	}
	return false
}

// virtualPathMarkers map folders of the server to the URL paths IIS serves
// them under: the front end's web folders, the back end's, and the default
// web root.
var virtualPathMarkers = []string{`\frontend\httpproxy\`, `\clientaccess\`, `\inetpub\wwwroot\`}

// virtualPath is the URL path (lower case) a file is served under, or "".
func (c *correlation) virtualPath(f *finding.Finding) string {
	wp := strings.ToLower(strings.ReplaceAll(f.WindowsPath, "/", `\`))
	for _, m := range virtualPathMarkers {
		if i := strings.Index(wp, m); i >= 0 {
			return "/" + strings.ReplaceAll(wp[i+len(m):], `\`, "/")
		}
	}
	// A web root elsewhere, as the server's IIS configuration names it.
	if root := strings.ToLower(strings.Trim(c.srv.Server.WebRoot, "/")); root != "" {
		if rest, ok := strings.CutPrefix(strings.ToLower(f.Path), root+"/"); ok {
			return "/" + rest
		}
	}
	return ""
}

// isShellFile tells the file findings that show a web shell or another
// written file, which requests and written paths are joined to.
func isShellFile(f *finding.Finding) bool {
	return f.Line == 0 && f.Path != "" && f.Stage == finding.StageWebshellWritten
}

// joinPaths ties log lines that name a written file to the file on disk,
// and requests to the file they asked for.
func (c *correlation) joinPaths() {
	files := map[string][]int{}   // path key -> file findings
	virtual := map[string][]int{} // lower-case URL path -> file findings
	for _, i := range c.attack {
		f := &c.fs[i]
		if !isShellFile(f) || f.WindowsPath == "" {
			continue
		}
		files[c.pathKey(f.WindowsPath)] = append(files[c.pathKey(f.WindowsPath)], i)
		if v := c.virtualPath(f); v != "" {
			virtual[v] = append(virtual[v], i)
		}
	}

	written := map[string][]int{}
	spelling := map[string]string{}
	requests := map[string][]int{}
	reqSpelling := map[string]string{}
	for _, i := range c.attack {
		f := &c.fs[i]
		for _, p := range writtenPaths(f) {
			k := c.pathKey(p)
			written[k] = append(written[k], i)
			if _, ok := spelling[k]; !ok {
				spelling[k] = p
			}
		}
		if f.Stage == finding.StageWebshellUse {
			if p := requestPath(f); p != "" {
				k := strings.ToLower(p)
				requests[k] = append(requests[k], i)
				if _, ok := reqSpelling[k]; !ok {
					reqSpelling[k] = p
				}
			}
		}
	}

	for _, k := range sortedIndexKeys(written) {
		logs, disk := written[k], files[k]
		j := result.Join{By: result.JoinWrittenPath, Value: spelling[k], SourceIPs: c.ipsOf(logs)}
		c.cite(&j, append(append([]int{}, logs...), disk...))
		switch {
		case len(disk) > 0:
		case isRemote(k):
			j.Note = "a share on another machine: the file is not on this server's disks; look for it there"
		default:
			j.Note = "no finding at this path on disk: the file was removed, is outside the places the scan looked, or tripped no rule"
		}
		c.joins = append(c.joins, j)
		if len(disk) > 0 {
			c.tieFiles(logs, disk, result.JoinWrittenPath)
		}
	}
	for _, k := range sortedIndexKeys(requests) {
		reqs, disk := requests[k], virtual[k]
		if len(disk) == 0 {
			continue
		}
		j := result.Join{By: result.JoinRequestPath, Value: reqSpelling[k], SourceIPs: c.ipsOf(reqs)}
		c.cite(&j, append(append([]int{}, reqs...), disk...))
		c.joins = append(c.joins, j)
		c.tieFiles(reqs, disk, result.JoinRequestPath)
	}
}

// tieFiles records, in the sessions of the log findings, the files they
// are joined to.
func (c *correlation) tieFiles(logs, disk []int, how string) {
	byPath := map[string][]string{}
	for _, d := range disk {
		p := c.fs[d].WindowsPath
		byPath[p] = append(byPath[p], fingerprint(&c.fs[d]))
	}
	for _, l := range logs {
		for _, s := range c.sessionsOf(l) {
			for p, ids := range byPath {
				k := [2]string{p, how}
				if s.files == nil {
					s.files = map[[2]string][]string{}
				}
				s.files[k] = mergeSorted(s.files[k], ids)
			}
		}
	}
}

// mergeSorted returns the sorted union of two lists.
func mergeSorted(a, b []string) []string {
	set := map[string]bool{}
	for _, v := range a {
		set[v] = true
	}
	for _, v := range b {
		set[v] = true
	}
	return sortedKeys(set)
}

func sortedIndexKeys(m map[string][]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ipsOf lists the client addresses of findings, and of the sessions the
// address-less ones were joined to.
func (c *correlation) ipsOf(idx []int) []string {
	set := map[string]bool{}
	for _, i := range idx {
		if ip := c.fs[i].SourceIP; ip != "" {
			set[ip] = true
			continue
		}
		for _, s := range c.joined[i] {
			set[s.ip] = true
		}
	}
	if len(set) == 0 {
		return nil
	}
	return sortedKeys(set)
}

// byTime orders findings by time (unknown last), then by fingerprint.
func (c *correlation) byTime(idx []int) {
	sort.SliceStable(idx, func(a, b int) bool {
		fa, fb := &c.fs[idx[a]], &c.fs[idx[b]]
		if (fa.Time == nil) != (fb.Time == nil) {
			return fa.Time != nil
		}
		if fa.Time != nil && !fa.Time.Equal(*fb.Time) {
			return fa.Time.Before(*fb.Time)
		}
		return fingerprint(fa) < fingerprint(fb)
	})
}

// members are a session's own and joined findings, each once, by time.
func (c *correlation) members(s *session) []int {
	seen := map[int]bool{}
	var out []int
	for _, l := range [][]int{s.own, s.joined} {
		for _, i := range l {
			if !seen[i] {
				seen[i] = true
				out = append(out, i)
			}
		}
	}
	c.byTime(out)
	return out
}

// rankSessions finds each session's first and last time and outcome,
// which the bounds and the mailboxes need for every session.
func (c *correlation) rankSessions() {
	for _, s := range c.sessions {
		out := &s.out
		out.SourceIP = s.ip
		reached := 0
		for _, l := range [][]int{s.own, s.joined} {
			for _, i := range l {
				f := &c.fs[i]
				if f.Time != nil {
					if out.First == nil || f.Time.Before(*out.First) {
						out.First = timePtr(f.Time.UTC())
					}
					if out.Last == nil || f.Time.After(*out.Last) {
						out.Last = timePtr(f.Time.UTC())
					}
				}
				r := stageRank(f.Stage)
				if r < stageRank(finding.StageExploitation) {
					continue
				}
				s.rank = max(s.rank, 1)
				if f.Severity >= finding.High {
					s.rank = 2
					if r > reached {
						reached, out.StageReached = r, f.Stage
					}
				}
			}
		}
		out.Outcome = outcomes[s.rank]
	}
}

// outcomes name the outcome ranks.
var outcomes = [...]string{result.OutcomeProbing, result.OutcomeAttempted, result.OutcomeSuccessful}

// finishSession fills the rest of a listed session's summary from its
// findings.
func (c *correlation) finishSession(s *session) {
	all := c.members(s)
	out := &s.out
	out.Rules = map[string]int{}
	uas, shells, stages := map[string]bool{}, map[string]bool{}, map[finding.Stage]bool{}
	for _, i := range all {
		f := &c.fs[i]
		out.Rules[f.Rule]++
		stages[f.Stage] = true
		if f.SourceIP != "" && f.UserAgent != "" {
			uas[f.UserAgent] = true
		}
		if f.Stage == finding.StageWebshellUse && f.SourceIP != "" {
			if p := requestPath(f); p != "" {
				shells[p] = true
			}
		}
	}
	for _, st := range []finding.Stage{finding.StageAttempt, finding.StageExploitation, finding.StageWebshellWritten, finding.StageWebshellUse, finding.StagePostExploitation} {
		if stages[st] {
			out.Stages = append(out.Stages, st)
		}
	}
	if len(uas) > 0 {
		out.UserAgents = sortedKeys(uas)
	}
	if len(shells) > 0 {
		out.Webshells = sortedKeys(shells)
	}
	if len(s.canaries) > 0 {
		out.EcpCanaries = sortedKeys(s.canaries)
	}
	if len(s.mailboxes) > 0 {
		out.Mailboxes = sortedKeys(s.mailboxes)
	}
	for _, i := range all {
		if len(out.Findings) == maxSessionFindings {
			out.FindingsNotListed = len(all) - maxSessionFindings
			break
		}
		out.Findings = append(out.Findings, fingerprint(&c.fs[i]))
	}
	keys := make([][2]string, 0, len(s.files))
	for k := range s.files {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a][0] != keys[b][0] {
			return keys[a][0] < keys[b][0]
		}
		return keys[a][1] < keys[b][1]
	})
	for _, k := range keys {
		out.Files = append(out.Files, result.SessionFile{Path: k[0], How: k[1], Findings: s.files[k]})
	}
}

// listSessions returns the sessions by first activity, completed and
// bounded: when
// there are more than MaxSessions, the successful ones are kept first,
// then those that attempted, then the probes.
func (c *correlation) listSessions() ([]result.Session, int) {
	all := make([]*session, 0, len(c.sessions))
	for _, s := range c.sessions {
		all = append(all, s)
	}
	byFirst := func(list []*session) {
		sort.Slice(list, func(a, b int) bool {
			fa, fb := list[a].out.First, list[b].out.First
			if (fa == nil) != (fb == nil) {
				return fa != nil
			}
			if fa != nil && !fa.Equal(*fb) {
				return fa.Before(*fb)
			}
			return list[a].ip < list[b].ip
		})
	}
	byFirst(all)
	dropped := 0
	if len(all) > MaxSessions {
		sort.SliceStable(all, func(a, b int) bool { return all[a].rank > all[b].rank })
		dropped = len(all) - MaxSessions
		all = all[:MaxSessions]
		byFirst(all)
	}
	if len(all) == 0 {
		return nil, 0
	}
	out := make([]result.Session, len(all))
	for i, s := range all {
		c.finishSession(s)
		out[i] = s.out
	}
	return out, dropped
}

// sameTimeWindow is how far apart a web shell request and a process or file
// it caused may be logged: IIS logs a request when it ends, and a command
// a shell runs may outlast it.
const sameTimeWindow = 2 * time.Minute

// joinSameTime ties what the event logs show a web shell did (processes it
// started, files it wrote) to the sessions whose web shell requests came
// within a few minutes: the logs share no value, only time.
func (c *correlation) joinSameTime() {
	type use struct {
		at time.Time
		s  *session
		i  int
	}
	var uses []use
	for _, i := range c.attack {
		f := &c.fs[i]
		if f.Stage != finding.StageWebshellUse || f.SourceIP == "" || f.Time == nil {
			continue
		}
		if s := c.sessions[f.SourceIP]; s != nil {
			uses = append(uses, use{f.Time.UTC(), s, i})
		}
	}
	if len(uses) == 0 {
		return
	}
	sort.Slice(uses, func(a, b int) bool { return uses[a].at.Before(uses[b].at) })
	for _, i := range c.attack {
		f := &c.fs[i]
		if f.SourceIP != "" || f.Line == 0 || f.Time == nil || !strings.HasPrefix(f.Rule, "evtx-") || len(c.joined[i]) > 0 {
			continue
		}
		if r := stageRank(f.Stage); r < stageRank(finding.StageWebshellWritten) {
			continue
		}
		at := f.Time.UTC()
		first := sort.Search(len(uses), func(k int) bool { return !uses[k].at.Before(at.Add(-sameTimeWindow)) })
		ips := map[string]bool{}
		members := []int{i}
		for k := first; k < len(uses) && !uses[k].at.After(at.Add(sameTimeWindow)); k++ {
			u := uses[k]
			if !containsSession(c.joined[i], u.s) {
				c.joined[i] = append(c.joined[i], u.s)
				u.s.joined = append(u.s.joined, i)
			}
			ips[u.s.ip] = true
			members = append(members, u.i)
		}
		if len(ips) == 0 {
			continue
		}
		j := result.Join{By: result.JoinSameTime, Value: at.Format(time.RFC3339), SourceIPs: sortedKeys(ips),
			Note: "joined by time alone: web shell requests of these clients came within 2 minutes of the event"}
		c.cite(&j, members)
		c.joins = append(c.joins, j)
	}
}

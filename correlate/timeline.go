package correlate

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

// CampaignFrom and CampaignTo bound the 2021 ProxyLogon campaign for the
// coverage gaps: the first reported intrusions (early December 2020) to
// the end of March 2021, when mass exploitation of unpatched servers had
// run its course (research notes, "Timeline anchors").
var (
	CampaignFrom = time.Date(2020, 12, 1, 0, 0, 0, 0, time.UTC)
	CampaignTo   = time.Date(2021, 3, 31, 23, 59, 59, 0, time.UTC)
)

// rulePatchInstalled is the patch-state rule whose time is the install
// date of the fix (detect/patch; the verdict reads it the same way).
const rulePatchInstalled = "patch-installed"

// ruleLogMissing is the scan's rule for a log family it did not find.
const ruleLogMissing = "log-coverage-missing"

// milestoneOrder breaks ties between milestones at the same time.
var milestoneOrder = map[string]int{
	result.MilestoneFirstAttempt: 0, result.MilestoneFirstSuccess: 1, result.MilestoneFirstShellWritten: 2,
	result.MilestoneFirstShellUse: 3, result.MilestoneLastShellUse: 4, result.MilestoneLastActivity: 5, result.MilestonePatched: 6,
}

// candidate is a finding that may set a milestone, at the time it shows.
type candidate struct {
	i     int
	t     time.Time
	basis string
}

func (c *correlation) candidates(keep func(f *finding.Finding) bool, fileTimes bool) []candidate {
	var out []candidate
	for _, i := range c.attack {
		f := &c.fs[i]
		if !keep(f) {
			continue
		}
		var t time.Time
		ok := false
		if fileTimes {
			t, ok = earliestTime(f)
		} else if f.Time != nil {
			t, ok = f.Time.UTC(), true
		}
		if ok {
			out = append(out, candidate{i, t, basisOf(f)})
		}
	}
	return out
}

// milestone builds a milestone from the earliest (or latest) candidates,
// citing every finding at that time.
func (c *correlation) milestone(name string, cands []candidate, latest bool) *result.Milestone {
	if len(cands) == 0 {
		return nil
	}
	best := cands[0].t
	for _, k := range cands[1:] {
		if latest && k.t.After(best) || !latest && k.t.Before(best) {
			best = k.t
		}
	}
	var at []candidate
	for _, k := range cands {
		if k.t.Equal(best) {
			at = append(at, k)
		}
	}
	m := &result.Milestone{Name: name, Time: best}
	c.citeCandidates(m, at)
	if m.Basis == result.BasisFileTime {
		m.Note = "from a file's time on disk, which an attacker can set to anything"
		var logs []candidate
		for _, k := range cands {
			if k.basis == result.BasisLog {
				logs = append(logs, k)
			}
		}
		if lm := c.milestone(name, logs, latest); lm != nil {
			m.LogTime, m.LogFindings = timePtr(lm.Time), lm.Findings
			m.Note += "; the logs show it at " + stamp(lm.Time)
		} else {
			m.Note += "; no log shows this step"
		}
	}
	return m
}

// citeCandidates fills a milestone's findings, basis, reference and client
// addresses from the candidates at its time. Log evidence is preferred as
// the basis and the reference when a log line and a file share the time.
func (c *correlation) citeCandidates(m *result.Milestone, at []candidate) {
	sort.Slice(at, func(a, b int) bool {
		la, lb := at[a].basis == result.BasisLog, at[b].basis == result.BasisLog
		if la != lb {
			return la
		}
		return fingerprint(&c.fs[at[a].i]) < fingerprint(&c.fs[at[b].i])
	})
	m.Basis = at[0].basis
	m.Where = where(&c.fs[at[0].i])
	ids := map[string]bool{}
	idx := make([]int, 0, len(at))
	for _, k := range at {
		ids[fingerprint(&c.fs[k.i])] = true
		idx = append(idx, k.i)
	}
	m.Findings = sortedKeys(ids)
	if len(m.Findings) > maxCited {
		m.Findings = m.Findings[:maxCited]
	}
	m.SourceIPs = c.ipsOf(idx)
}

// isDateOnly tells an install date without a time of day (midnight UTC,
// as the registry's InstallDate gives it).
func isDateOnly(t time.Time) bool {
	u := t.UTC()
	return u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0
}

// patchBound is the latest moment the fix can have been installed: the
// end of the install day when only the date is known.
func patchBound(t time.Time) time.Time {
	if isDateOnly(t) {
		return t.Add(24*time.Hour - time.Second)
	}
	return t
}

func patchText(t time.Time) string {
	if isDateOnly(t) {
		return t.UTC().Format("2006-01-02") + " (date only)"
	}
	return stamp(t)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func (c *correlation) timeline() *result.Timeline {
	tl := &result.Timeline{Milestones: []result.Milestone{}}
	add := func(m *result.Milestone) *result.Milestone {
		if m != nil {
			tl.Milestones = append(tl.Milestones, *m)
		}
		return m
	}
	attempt := add(c.milestone(result.MilestoneFirstAttempt, c.candidates(isAttemptAnchor, false), false))
	add(c.milestone(result.MilestoneFirstSuccess, c.candidates(func(f *finding.Finding) bool {
		return stageRank(f.Stage) >= stageRank(finding.StageExploitation) && f.Severity >= finding.High
	}, false), false))
	shellCands := c.candidates(func(f *finding.Finding) bool {
		return f.Stage == finding.StageWebshellWritten && f.Severity >= finding.High
	}, true)
	written := add(c.milestone(result.MilestoneFirstShellWritten, shellCands, false))
	useCands := c.candidates(func(f *finding.Finding) bool {
		return f.Stage == finding.StageWebshellUse && f.Severity >= finding.High
	}, false)
	firstUse := add(c.milestone(result.MilestoneFirstShellUse, useCands, false))
	lastUse := add(c.milestone(result.MilestoneLastShellUse, useCands, true))
	var sessionCands []candidate
	seen := map[int]bool{}
	for _, s := range c.sessions {
		for _, l := range [][]int{s.own, s.joined} {
			for _, i := range l {
				if f := &c.fs[i]; f.Time != nil && !seen[i] {
					seen[i] = true
					sessionCands = append(sessionCands, candidate{i, f.Time.UTC(), basisOf(f)})
				}
			}
		}
	}
	last := add(c.milestone(result.MilestoneLastActivity, sessionCands, true))
	exp := c.srv.Verdict.Exposure
	if exp.PatchedAt != nil {
		m := result.Milestone{Name: result.MilestonePatched, Time: exp.PatchedAt.UTC(), Findings: []string{}, Basis: result.BasisInstallDate}
		for i := range c.fs {
			if f := &c.fs[i]; f.Rule == rulePatchInstalled {
				m.Findings = append(m.Findings, fingerprint(f))
				if m.Where == "" {
					m.Where = where(f)
				}
			}
		}
		sort.Strings(m.Findings)
		if isDateOnly(m.Time) {
			m.Note = "the install date of the update; the time of day is not recorded"
		}
		add(&m)
	}
	sort.SliceStable(tl.Milestones, func(a, b int) bool {
		ma, mb := &tl.Milestones[a], &tl.Milestones[b]
		if !ma.Time.Equal(mb.Time) {
			return ma.Time.Before(mb.Time)
		}
		return milestoneOrder[ma.Name] < milestoneOrder[mb.Name]
	})

	tl.Exposure = c.exposureWindow(attempt, last, tl)
	tl.WebshellPresent = c.shellWindow(written, firstUse, lastUse)
	tl.Gaps = c.gaps(shellCands)

	untimed := 0
	for _, i := range c.attack {
		if t, ok := earliestTime(&c.fs[i]); !ok || t.IsZero() {
			untimed++
		}
	}
	if untimed > 0 {
		tl.Notes = append(tl.Notes, fmt.Sprintf("%d finding(s) of the attack have no time and are not placed on the timeline (they still count in the sessions).", untimed))
	}
	if n := c.srv.Stats.Truncated; n > 0 {
		tl.Notes = append(tl.Notes, fmt.Sprintf("%d finding(s) were not listed because of the scan's bounds and are not correlated: milestones come from the listed findings, the verdict's times from all.", n))
	}
	return tl
}

// exposureWindow is the period the server was open to the attack: from the
// first exploitation attempt to the fix.
func (c *correlation) exposureWindow(attempt, last *result.Milestone, tl *result.Timeline) *result.Window {
	if attempt == nil {
		return nil
	}
	exp := c.srv.Verdict.Exposure
	w := &result.Window{From: timePtr(attempt.Time), FromMilestone: attempt.Name}
	from := "from the first exploitation attempt at " + stamp(attempt.Time)
	lastText := ""
	if last != nil {
		lastText = "; the last attacker activity seen was at " + stamp(last.Time)
	}
	switch {
	case exp.PatchedAt != nil && !patchBound(*exp.PatchedAt).After(attempt.Time):
		w = &result.Window{Text: "none: the fix was installed on " + patchText(*exp.PatchedAt) + ", before the first exploitation attempt at " +
			stamp(attempt.Time) + ", so the attempts met a patched server"}
	case exp.PatchedAt != nil:
		w.To, w.ToMilestone = timePtr(exp.PatchedAt.UTC()), result.MilestonePatched
		w.Text = from + " to the fix installed on " + patchText(*exp.PatchedAt) + ", " + span(attempt.Time, *exp.PatchedAt) + " later" + lastText
		if last != nil && last.Time.After(patchBound(*exp.PatchedAt)) {
			tl.Notes = append(tl.Notes, "Attacker activity went on after the fix was installed: the fix closes the vulnerability, not web shells planted before it.")
		}
	case exp.State == result.ExposurePatched:
		w.Text = from + " to the install of the fix, whose date was not found (the server is patched now)" + lastText
	case exp.State == result.ExposureVulnerable:
		w.Open = true
		if last != nil {
			w.To, w.ToMilestone = timePtr(last.Time), last.Name
		}
		w.Text = from + ", still open: the server is still vulnerable" + lastText
	case last != nil:
		w.To, w.ToMilestone = timePtr(last.Time), last.Name
		w.Text = from + " to at least the last attacker activity at " + stamp(last.Time) + "; whether and when the server was patched is not known"
	default:
		w.Text = from + "; whether and when the server was patched is not known, so neither is the end of the window"
	}
	return w
}

// shellWindow is the period a web shell was on the server: from its first
// write (or, failing that, its first use) to its last use, or on while a
// shell is still on disk.
func (c *correlation) shellWindow(written, firstUse, lastUse *result.Milestone) *result.Window {
	if written == nil && firstUse == nil {
		return nil
	}
	w := &result.Window{}
	var text string
	switch {
	case written != nil && (firstUse == nil || !firstUse.Time.Before(written.Time)):
		w.From, w.FromMilestone = timePtr(written.Time), written.Name
		text = "from the first web shell written at " + stamp(written.Time)
		if written.Basis == result.BasisFileTime {
			text += " (a file time, which can be forged)"
		}
	case written != nil:
		w.From, w.FromMilestone = timePtr(firstUse.Time), firstUse.Name
		text = "from at least the first web shell use at " + stamp(firstUse.Time) + ", before the first write time found (" + stamp(written.Time) +
			": a file time changed after the write, or a shell the scan did not find)"
	default:
		w.From, w.FromMilestone = timePtr(firstUse.Time), firstUse.Name
		text = "from at least the first web shell use at " + stamp(firstUse.Time) + " (no write was found)"
	}
	onDisk := map[string]bool{}
	for _, i := range c.attack {
		if f := &c.fs[i]; isShellFile(f) && f.Severity >= finding.High {
			onDisk[f.Path] = true
		}
	}
	switch {
	case len(onDisk) > 0:
		w.Open = true
		text += fmt.Sprintf(", and on: %d web shell file(s) are still on disk in the scanned copy until they are removed", len(onDisk))
		if lastUse != nil {
			text += "; the last use seen was at " + stamp(lastUse.Time)
		}
	case lastUse != nil:
		w.To, w.ToMilestone = timePtr(lastUse.Time), lastUse.Name
		text += " to at least its last use at " + stamp(lastUse.Time) + "; no web shell file was found on disk (removed, or outside the places the scan looked)"
	default:
		text += "; no web shell file was found on disk and no use was seen"
	}
	w.Text = text
	return w
}

// logSpan is the time a log family's folders cover together.
type logSpan struct {
	oldest, newest time.Time
	folders        map[string]bool
}

func (c *correlation) families() map[string]*logSpan {
	out := map[string]*logSpan{}
	for _, cv := range c.srv.Coverage {
		s := out[cv.Family]
		if s == nil {
			s = &logSpan{folders: map[string]bool{}}
			out[cv.Family] = s
		}
		s.folders[strings.ToLower(cv.Folder)] = true
		if !cv.Oldest.IsZero() && (s.oldest.IsZero() || cv.Oldest.Before(s.oldest)) {
			s.oldest = cv.Oldest.UTC()
		}
		if !cv.Newest.IsZero() && cv.Newest.After(s.newest) {
			s.newest = cv.Newest.UTC()
		}
	}
	return out
}

// chainFolders are the HttpProxy folders the chain is logged in, with
// what each holds.
var chainFolders = []struct{ folder, holds string }{
	{"Ecp", "the forged requests of the chain (/ecp/<x>.js, proxyLogon.ecp, the virtual directory reset) are logged there"},
	{"Owa", "requests to web shells in /owa/auth are logged there"},
}

// rotation is how often a log family starts a new file: a period without
// traffic writes none, so fewer files than periods means periods without
// a log file.
var rotation = map[string]struct {
	every time.Duration
	unit  string
}{
	"HttpProxy":  {time.Hour, "hour"},
	"ECP Server": {24 * time.Hour, "day"},
}

// gaps lists what the timeline needs and the evidence lacks. Coverage has
// only the oldest and newest entry and the file count per folder, so
// days without logs are given as a lower bound, without saying which.
func (c *correlation) gaps(shellCands []candidate) []result.Gap {
	var out []result.Gap
	fam := c.families()
	hp := fam["HttpProxy"]
	if hp != nil && hp.oldest.IsZero() {
		hp = nil
	}
	exp := c.srv.Verdict.Exposure

	if hp != nil {
		// A web shell whose file time is older than the logs: the
		// request that wrote it is not in them.
		var earliest *candidate
		for k := range shellCands {
			if shellCands[k].basis == result.BasisFileTime && (earliest == nil || shellCands[k].t.Before(earliest.t)) {
				earliest = &shellCands[k]
			}
		}
		if earliest != nil && earliest.t.Before(hp.oldest) {
			out = append(out, result.Gap{Kind: result.GapBeforeLogs, Family: "HttpProxy", From: timePtr(earliest.t), To: timePtr(hp.oldest),
				Text: "a web shell file's time (" + stamp(earliest.t) + ", " + where(&c.fs[earliest.i]) + ") is before the HttpProxy logs begin (" +
					stamp(hp.oldest) + "): the exploitation that wrote it is not in these logs, or the file time was forged"})
		}
		// Attack activity in the logs' first day may have begun before.
		var firstLog *time.Time
		for _, i := range c.attack {
			if f := &c.fs[i]; f.Line > 0 && f.Time != nil && stageRank(f.Stage) < stageRank(finding.StagePostExploitation) &&
				(firstLog == nil || f.Time.Before(*firstLog)) {
				firstLog = timePtr(f.Time.UTC())
			}
		}
		if firstLog != nil && !firstLog.Before(hp.oldest) && firstLog.Sub(hp.oldest) < 24*time.Hour && hp.oldest.After(CampaignFrom) {
			out = append(out, result.Gap{Kind: result.GapLogsStartDuringAttack, Family: "HttpProxy", To: timePtr(hp.oldest),
				Text: "attack activity shows in the first day of the HttpProxy logs (they begin " + stamp(hp.oldest) + ", the first attack line is at " +
					stamp(*firstLog) + "): it may have begun before the logs do"})
		}
		if hp.oldest.After(CampaignFrom) {
			to := hp.oldest
			if to.After(CampaignTo) {
				to = CampaignTo
			}
			text := "the HttpProxy logs begin " + stamp(hp.oldest) + ": the campaign window from " + CampaignFrom.Format("2006-01-02") +
				" (first reported intrusions) to then is not covered, so exploitation in it cannot be seen in the logs"
			if hp.oldest.After(CampaignTo) {
				text = "the HttpProxy logs begin " + stamp(hp.oldest) + ", after the whole campaign window (" + CampaignFrom.Format("2006-01-02") +
					" to " + CampaignTo.Format("2006-01-02") + "): they cannot show its exploitation; only files on disk can"
			}
			out = append(out, result.Gap{Kind: result.GapCampaignBeforeLogs, Family: "HttpProxy", From: timePtr(CampaignFrom), To: timePtr(to), Text: text})
		}
		if g := c.exposureAfterLogs(hp.newest, exp); g != nil {
			out = append(out, *g)
		}
	}

	// Log families the scan did not find, as its own findings say.
	var missing []result.Gap
	for i := range c.fs {
		if f := &c.fs[i]; f.Rule == ruleLogMissing {
			family := f.Evidence.Get("family")
			text := "no " + family + " logs were found"
			if why := f.Evidence.Get(finding.KeyWhy); why != "" {
				text += " (" + why + ")"
			}
			missing = append(missing, result.Gap{Kind: result.GapFamilyMissing, Family: family, Text: text + ": what they record is missing from the timeline"})
		}
	}
	sort.SliceStable(missing, func(a, b int) bool { return missing[a].Family < missing[b].Family })
	out = append(out, missing...)
	if hp != nil {
		for _, cf := range chainFolders {
			if !hp.folders[strings.ToLower(cf.folder)] {
				out = append(out, result.Gap{Kind: result.GapFamilyMissing, Family: "HttpProxy", Folder: cf.folder,
					Text: "no HttpProxy " + cf.folder + " logs were found: " + cf.holds})
			}
		}
	}

	// Folders with fewer files than the periods they span.
	for _, cv := range c.srv.Coverage {
		rot, ok := rotation[cv.Family]
		if !ok || cv.Oldest.IsZero() || cv.Newest.IsZero() {
			continue
		}
		if cv.Family == "HttpProxy" && !isChainFolder(cv.Folder) {
			continue // quiet protocols leave hours without a file
		}
		periods := int(cv.Newest.UTC().Truncate(rot.every).Sub(cv.Oldest.UTC().Truncate(rot.every))/rot.every) + 1
		if cv.Files >= periods {
			continue
		}
		name := cv.Family
		if cv.Folder != "" {
			name += " " + cv.Folder
		}
		out = append(out, result.Gap{Kind: result.GapFilesMissing, Family: cv.Family, Folder: cv.Folder,
			From: timePtr(cv.Oldest.UTC()), To: timePtr(cv.Newest.UTC()),
			Text: fmt.Sprintf("%d %s log file(s) for the %d %ss from %s to %s: at least %d %s(s) have no log file (a quiet %s writes none, "+
				"deleted logs leave the same hole; which ones is not known from the coverage)",
				cv.Files, name, periods, rot.unit, stamp(cv.Oldest), stamp(cv.Newest), periods-cv.Files, rot.unit, rot.unit)})
	}
	return out
}

func isChainFolder(folder string) bool {
	for _, cf := range chainFolders {
		if strings.EqualFold(folder, cf.folder) {
			return true
		}
	}
	return false
}

// exposureAfterLogs is the period from the end of the logs to the fix
// (or on, unpatched): the server was open, and nothing in it is judged.
// A day's slack keeps the scan of a live server, whose logs end as it
// runs, from reporting a gap of minutes.
func (c *correlation) exposureAfterLogs(newest time.Time, exp result.Exposure) *result.Gap {
	if newest.IsZero() {
		return nil
	}
	g := &result.Gap{Kind: result.GapExposureAfterLogs, Family: "HttpProxy", From: timePtr(newest)}
	end := "the logs end " + stamp(newest)
	switch {
	case exp.PatchedAt != nil:
		if !patchBound(*exp.PatchedAt).After(newest.Add(24 * time.Hour)) {
			return nil
		}
		g.To = timePtr(exp.PatchedAt.UTC())
		g.Text = end + ", but the fix was installed only on " + patchText(*exp.PatchedAt) + ": requests in between are not judged"
	case exp.State == result.ExposurePatched:
		g.Text = end + "; the server is patched now, but when the fix was installed is not known: requests after the logs end are not judged"
	case exp.State == result.ExposureVulnerable:
		if !c.srv.Stats.Started.IsZero() && c.srv.Stats.Started.Sub(newest) < 24*time.Hour {
			return nil
		}
		g.Text = end + " and the server is still vulnerable: nothing after that is judged"
	default:
		g.Text = end + "; whether the server was patched later is not known: requests after that are not judged"
	}
	return g
}

// span says how long a period was, in days and hours.
func span(from, to time.Time) string {
	d := to.Sub(from)
	if d < 0 {
		d = -d
	}
	days := int(d / (24 * time.Hour))
	hours := int((d % (24 * time.Hour)) / time.Hour)
	switch {
	case days == 0 && hours == 0:
		return "less than an hour"
	case days == 0:
		return fmt.Sprintf("%d hour(s)", hours)
	case hours == 0:
		return fmt.Sprintf("%d day(s)", days)
	}
	return fmt.Sprintf("%d day(s) %d hour(s)", days, hours)
}

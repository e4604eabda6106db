package scan

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/exhunt/exhunt/builds"
	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/scope"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

// checkResult is every check with whether it ran.
type checkResult struct {
	run, notRun []result.CheckStatus
}

func status(c detect.Check, why string) result.CheckStatus {
	return result.CheckStatus{ID: c.ID, Title: c.Title, CVEs: c.CVEs, Why: why}
}

// checksRun tells which checks had their input. A log check ran when at
// least one file of its family (and folder) was read to the end; a file
// check when it had a place to look at and the walk finished.
func checksRun(cfg Config, dctx *detect.Context, logs logOutcome, files fileOutcome, interrupted bool) checkResult {
	var out checkResult
	seen := map[string]bool{}
	add := func(c detect.Check, ran bool, why string) {
		if seen[c.ID] {
			// Two detectors of one check: it ran if either did.
			if ran {
				for i, s := range out.notRun {
					if s.ID == c.ID {
						out.notRun = append(out.notRun[:i], out.notRun[i+1:]...)
						out.run = append(out.run, status(c, ""))
						break
					}
				}
			}
			return
		}
		seen[c.ID] = true
		if ran {
			out.run = append(out.run, status(c, ""))
		} else {
			out.notRun = append(out.notRun, status(c, why))
		}
	}
	for _, d := range cfg.LogDetectors {
		ran := false
		for k, n := range logs.read {
			if n > 0 && appliesTo(d, detect.LogFamily(k[0]), k[1]) {
				ran = true
				break
			}
		}
		why := "no " + strings.TrimPrefix(d.Check().Needs, "the ") + " were found"
		if !ran && interrupted && (len(logs.plan.jobs) > 0 || logs.notPlanned) {
			why = "the scan was interrupted before " + d.Check().Needs + " were read"
		}
		add(d.Check(), ran, why)
	}
	for _, d := range cfg.ServerDetectors {
		ran := true
		if r, ok := d.(interface{ Ran(*detect.Context) bool }); ok {
			ran = r.Ran(dctx)
		}
		add(d.Check(), ran, strings.TrimPrefix(d.Check().Needs, "the ")+": not found in this copy")
	}
	for _, d := range cfg.FileDetectors {
		ran := files.placed[d.Name()] && files.complete
		why := strings.TrimPrefix(d.Check().Needs, "the ") + ": not found in this copy"
		if files.placed[d.Name()] && !files.complete {
			why = "the scan was interrupted before every file was inspected"
		} else if r, ok := d.(detect.Unplaced); ok && !files.placed[d.Name()] {
			if w := r.WhyNotPlaced(dctx); w != "" {
				why = w
			}
		}
		add(d.Check(), ran, why)
	}
	for _, c := range scope.Planned() {
		add(c, false, "needs "+c.Needs)
	}
	return out
}

// verdictInput is everything the verdict weighs.
type verdictInput struct {
	server      *facts.Server
	findings    []finding.Finding
	coverage    []result.Coverage
	errors      []finding.ScanError
	window      detect.Window
	interrupted bool
	logs        logOutcome
	files       fileOutcome
	checks      checkResult
	counts      map[finding.Severity]int
	first       evidenceSpan
	exposure    []finding.Finding
	// incompleteCollection says why the triage collection scanned lacks
	// part of what it was meant to hold; collection is its summary.
	incompleteCollection string
	collection           *result.Collection
}

// unreadEvidence counts the errors that lie where the evidence of the
// attack would be: Exchange's folder, its logs, the web root and the
// front end's hot spots. "No evidence" is not an answer while those could
// not be read.
func (in *verdictInput) unreadEvidence() int {
	s := in.server
	places := []string{s.ExchangeDir, s.LoggingDir, s.WebRoot}
	places = append(places, s.HotSpots.List()...)
	for _, dirs := range in.logs.plan.found {
		places = append(places, dirs...)
	}
	// Event logs given apart from the copy (--evtx) are evidence too;
	// their errors carry the path as given, forward slashes.
	for _, p := range s.LooseEventLogs {
		places = append(places, filepath.ToSlash(p))
	}
	n := 0
	for _, e := range in.errors {
		name := s.Drives.Name(e.Volume, e.Path)
		// Windows names ignore case: a variant spelling of an evidence
		// folder is that folder.
		low := strings.ToLower(name)
		for _, p := range places {
			// An unread folder above an evidence folder's name (another
			// spelling of "Program Files") may hold that evidence too.
			if lp := strings.ToLower(p); p != "" && (low == lp || below(low, lp) || (low != "." && below(lp, low))) {
				n++
				break
			}
		}
	}
	return n
}

// examinedExchange reports whether the scan looked at anything of Exchange:
// a log file read, or the front end's auth folders where the campaign's
// web shells were written. Without either, "nothing found" means nothing.
func (in *verdictInput) examinedExchange() bool {
	if in.logs.exchangeRead > 0 {
		return true
	}
	h := in.server.HotSpots
	return h.OwaAuth != "" || h.EcpAuth != ""
}

func decide(in verdictInput) result.Verdict {
	v := result.Verdict{Counts: map[string]int{}, Interrupted: in.interrupted}
	for sev, n := range in.counts {
		v.Counts[sev.String()] = n
	}
	max := finding.Info
	for _, f := range in.findings {
		if !f.Context && !f.Exposure && f.Severity > max {
			max = f.Severity
		}
	}
	v.Exposure = exposure(in)
	v.FirstEvidence, v.LastEvidence = in.first.firstEvidence, in.first.lastEvidence
	v.FirstCompromise, v.FirstCompromiseBy = in.first.firstCompromise, in.first.firstCompromiseBy
	for _, c := range in.coverage {
		if c.Oldest.IsZero() {
			continue
		}
		o, n := c.Oldest, c.Newest
		if v.CoveredFrom == nil || o.Before(*v.CoveredFrom) {
			v.CoveredFrom = &o
		}
		if v.CoveredTo == nil || n.After(*v.CoveredTo) {
			v.CoveredTo = &n
		}
	}
	v.ChecksRun, v.ChecksNotRun = in.checks.run, in.checks.notRun
	if v.ChecksRun == nil {
		v.ChecksRun = []result.CheckStatus{}
	}
	examined := in.examinedExchange()
	v.Caveats = caveats(&in, &v, examined)
	switch {
	case max >= finding.High:
		v.Level = result.VerdictCompromised
		v.Headline = "COMPROMISED: evidence of successful exploitation"
		if v.FirstCompromise != nil {
			v.Headline += " since " + v.FirstCompromise.Format("2006-01-02 15:04 UTC")
		}
		preserve := "Do not wipe or rebuild yet: preserve the evidence first with exhunt collect --out FILE.zip (to a network share or removable drive; on Windows Server 2012 R2 and older, with the script of exhunt collect --script), and keep this report with it."
		if in.collection != nil {
			preserve = "Do not wipe or rebuild yet: keep this triage archive, its SHA-256 and this report as they are; they are the evidence for the responders."
		}
		v.NextSteps = []string{
			preserve,
			"Disconnect the server from the internet (or block inbound 443 to it) until it is cleaned; keep it running if memory forensics is planned.",
			"Install the latest Exchange cumulative and security update; until it is installed, apply Microsoft's temporary mitigations (exhunt mitigate --script), which lessen the exposure but fix nothing.",
			"Remove the web shells and other files listed as critical after preserving them (see the list of files below); reset the OAB virtual directory if its URLs were changed.",
			"Updating does not remove an intruder: where commands ran through a web shell or the attackers went further (post-exploitation findings), rebuild the server from known-good media rather than clean it in place.",
			"Reset passwords of accounts used on the server (administrators, service accounts) and check Active Directory for new accounts and group changes since the first compromise time.",
			"Report to your CERT or incident responder; this server may have been used to reach the rest of the network. Whoever decides on breach notification needs the mailboxes the evidence names.",
		}
	case in.incompleteCollection != "" && max < finding.Low:
		v.Level = result.VerdictInconclusive
		v.Headline = "INCONCLUSIVE: the triage collection is incomplete (" + in.incompleteCollection + "); nothing was found in what it holds, which proves nothing of what it lacks"
		v.NextSteps = []string{
			"Collect the server again to the end (exhunt collect, or the collection script), keeping this archive as it is.",
			"Scan the server itself, or a disk image of it, if it can be reached.",
		}
	case in.interrupted:
		v.Level = result.VerdictInconclusive
		v.Headline = "INTERRUPTED, INCOMPLETE: the scan stopped before it read everything; no verdict can be given"
		v.NextSteps = []string{"Run the scan again to the end; the findings below are only those of the part that was read."}
	case !examined && in.server.Exchange2010Dir != "":
		v.Level = result.VerdictInconclusive
		v.Headline = "INCONCLUSIVE: this is an Exchange 2010 server; of the March 2021 vulnerabilities only CVE-2021-26857 reaches Exchange 2010 (the ProxyLogon chain through CVE-2021-26855 does not), and exhunt's checks of Exchange's own logs are for Exchange 2013 and later"
		v.NextSteps = []string{
			"Make sure Exchange 2010 SP3 Update Rollup 32 (build 14.3.513.0, KB5000978) or later is installed: it fixes CVE-2021-26857. The build exhunt read, if any, is under \"Vulnerable now?\".",
			"Exchange 2010's support ended on 2020-10-13: it gets no fixes for later vulnerabilities. Plan its replacement, and keep it off the internet until then.",
			"The IIS logs, web folders and event logs in this copy were checked as for any server: review the findings below, if any.",
		}
	case !examined:
		v.Level, v.NothingExamined = result.VerdictInconclusive, true
		v.Headline = inconclusiveHeadline(in.server)
		v.NextSteps = []string{
			"Point --root at the copy of the server's system drive (the folder that holds \"Program Files\\Microsoft\\Exchange Server\\V15\" and \"inetpub\"), or at the V15 folder, its Logging folder or a log folder.",
			"If Exchange is installed elsewhere, add --exchange-dir PATH; if it is on another drive, add --volume D=PATH with the copy of that drive.",
			"A folder holding copies of several servers is scanned server by server: give it as --root, or give each copy with its own --root.",
		}
		if max >= finding.Low {
			v.NextSteps = append([]string{"Review the findings below: they come from the parts that were found."}, v.NextSteps...)
		}
	case max < finding.Low && in.unreadEvidence() > 0:
		v.Level = result.VerdictInconclusive
		v.Headline = fmt.Sprintf("INCONCLUSIVE: no evidence found in what was read, but %d input(s) in the Exchange or web folders could not be read", in.unreadEvidence())
		v.NextSteps = []string{
			"See the errors: a folder that is a link (a junction on an image), a file that is not a regular file, an unreadable or too deeply nested folder.",
			"Copy what they point at (keeping the layout), or give the other drive with --volume, and scan again.",
		}
	case max >= finding.Low:
		v.Level = result.VerdictAttempted
		v.Headline = "EXPLOITATION ATTEMPTED or suspicious: no proof of success, review the findings"
		if v.FirstEvidence != nil {
			v.Headline += " (first seen " + v.FirstEvidence.Format("2006-01-02 15:04 UTC") + ")"
		}
		v.NextSteps = []string{
			"Make sure the server runs a patched Exchange build (March 2021 security update or later); until it does, apply Microsoft's temporary mitigations (exhunt mitigate --script).",
			"Review every medium finding by hand: what it is, who wrote it, when.",
			"Check that the logs cover the period since January 2021; attempts before the oldest log line cannot be judged.",
		}
	default:
		v.Level = result.VerdictClean
		v.Headline = "NO EVIDENCE FOUND of ProxyLogon exploitation"
		if v.CoveredFrom != nil {
			v.Headline += fmt.Sprintf(" in logs from %s to %s", v.CoveredFrom.Format("2006-01-02"), v.CoveredTo.Format("2006-01-02"))
		} else {
			v.Headline += " in the front-end folders (no Exchange log with timestamps was read)"
		}
		if len(v.ChecksNotRun) > 0 {
			v.Headline += fmt.Sprintf("; %d check(s) could not run", len(v.ChecksNotRun))
		}
		v.NextSteps = []string{
			"Absence of evidence covers only the period the logs reach and the checks that ran; see the caveats.",
			"Make sure the server runs a patched Exchange build.",
		}
	}
	if in.interrupted && max >= finding.High {
		v.Headline = "INTERRUPTED, INCOMPLETE: " + v.Headline
	}
	return v
}

// exposure answers "is the server vulnerable now?" from the build.
func exposure(in verdictInput) result.Exposure {
	b := in.server.Build
	e := result.Exposure{State: result.ExposureUnknown, Answer: "unknown: the Exchange build was not found (no ExSetup.exe, no SOFTWARE hive)"}
	if !b.Known {
		e.Mitigations = in.server.Mitigations.List()
		return e
	}
	e.Build, e.Precision = b.Version.String(), b.Precision
	a := builds.MustBuiltin().Lookup(b.Version)
	switch {
	case a.Product == "":
		e.Answer = "unknown: " + b.Version.String() + " is not an Exchange build exhunt knows"
		e.Mitigations = in.server.Mitigations.List()
		return e
	case !a.ProxyLogonAffected:
		e.Answer = "unknown: " + a.Product + " is not reached by ProxyLogon, but has had no security update for years: replace it"
		e.Mitigations = in.server.Mitigations.List()
		return e
	}
	e.State, e.Answer = result.ExposurePatched, "no: build "+b.Version.String()+" has the ProxyLogon fixes and the later critical ones exhunt knows"
	if b.Version.Major == 14 {
		e.Answer = "no: build " + b.Version.String() + " has the fix for CVE-2021-26857, the only one of March 2021 that reaches Exchange 2010; out of support, it gets no later fixes"
	}
	if !a.ProxyLogonPatched || len(a.Missing) > 0 {
		e.State = result.ExposureVulnerable
		for _, m := range a.Missing {
			e.Missing = append(e.Missing, m.CVE)
		}
	}
	for _, f := range in.findings {
		if f.Rule == "patch-installed" && f.Time != nil {
			t := *f.Time
			e.PatchedAt = &t
		}
	}
	for _, f := range in.exposure {
		if f.Rule == "patch-half-applied" {
			e.State = result.ExposureVulnerable
			e.Answer = "yes: an update was only partly applied (" + f.Evidence.Get(finding.KeyWhy) + ")"
		}
	}
	if e.State == result.ExposureVulnerable && !strings.HasPrefix(e.Answer, "yes") {
		e.Answer = "yes: build " + b.Version.String() + " misses " + fmt.Sprint(len(e.Missing)) + " critical fix(es): " + strings.Join(e.Missing, ", ")
	}
	if b.Precision == "cu" {
		e.Answer += " (only the cumulative update level is known: ExSetup.exe was not read)"
	}
	e.Mitigations = in.server.Mitigations.List()
	if e.State == result.ExposureVulnerable && len(e.Mitigations) > 0 {
		e.Answer += "; mitigated, temporary: " + strings.Join(e.Mitigations, "; ")
	}
	return e
}

func inconclusiveHeadline(s *facts.Server) string {
	switch {
	case s.Kind == facts.KindUnknown:
		return "INCONCLUSIVE: nothing of an Exchange server was found in this folder (" + s.KindDetail + "), so nothing could be examined"
	case s.ExchangeDir != "":
		return "INCONCLUSIVE: Exchange's folder was found but holds no logs and no front-end folders to examine"
	}
	return "INCONCLUSIVE: no Exchange install, Exchange logs or front-end folders were found in " + s.KindDetail
}

// caveats says what the verdict cannot cover.
func caveats(in *verdictInput, v *result.Verdict, examined bool) []string {
	var out []string
	if in.interrupted {
		msg := "The scan was interrupted: it did not reach"
		var parts []string
		switch {
		case in.logs.notPlanned:
			parts = append(parts, "the log files")
		case in.logs.unread > 0:
			parts = append(parts, fmt.Sprintf("%d of %d log files", in.logs.unread, len(in.logs.plan.jobs)))
		}
		if !in.files.complete {
			parts = append(parts, "every file of the web folders and drop places")
		}
		if len(parts) == 0 {
			parts = append(parts, "the end of its work")
		}
		out = append(out, msg+" "+strings.Join(parts, " and ")+"; what it did not read is not judged.")
	}
	switch {
	case v.CoveredFrom == nil:
		if examined || in.server.ExchangeDir != "" {
			out = append(out, "No Exchange log with timestamps was read: the forged-request, ECP and OAB checks had nothing to look at.")
		}
	case !in.window.To.IsZero() && v.CoveredFrom.After(in.window.To):
		out = append(out, fmt.Sprintf("The logs start on %s, after the attack window (%s to %s): they cannot show those attacks. "+
			"File checks (web shells, dumps) still apply; for the logs, scan a backup or an older copy.",
			v.CoveredFrom.Format("2006-01-02"), in.window.From.Format("2006-01-02"), in.window.To.Format("2006-01-02")))
	case !in.window.From.IsZero() && v.CoveredFrom.After(in.window.From):
		out = append(out, fmt.Sprintf("The logs start on %s: activity before that date cannot be judged from them.", v.CoveredFrom.Format("2006-01-02")))
	}
	if in.incompleteCollection != "" {
		out = append(out, "The triage collection is incomplete ("+in.incompleteCollection+"): what it did not take is not judged.")
	}
	if c := in.collection; c != nil && (c.Skipped > 0 || c.Failed > 0 || c.Partial > 0) {
		msg := fmt.Sprintf("The triage collection left out %d file(s) (%d bytes) by its limits", c.Skipped, c.SkippedBytes)
		if len(c.SkippedWhy) > 0 {
			msg += " (" + strings.Join(c.SkippedWhy, "; ") + ")"
		}
		if c.Failed > 0 || c.Partial > 0 {
			msg += fmt.Sprintf(", could not read %d and read %d only in part", c.Failed, c.Partial)
		}
		out = append(out, msg+": what it did not take is not judged.")
	}
	if p := in.server.Partial(); p != "" {
		out = append(out, p)
	}
	if names, n := eventComputers(in.findings); n > 1 {
		out = append(out, fmt.Sprintf("The event-log findings come from %d computers (%s): a folder of logs may mix several machines, and the verdict weighs them as one server; scan each machine's logs on their own.",
			n, strings.Join(names, ", ")))
	}
	for _, c := range v.ChecksNotRun {
		out = append(out, result.NotCheckedPrefix+c.Title+" ("+c.Why+").")
	}
	if len(in.errors) > 0 {
		out = append(out, fmt.Sprintf("%d input(s) could not be read or parsed in full (see errors).", len(in.errors)))
	}
	return out
}

func humanCount(n int) string { return fmt.Sprint(n) }

// maxComputersNamed bounds the computer names a caveat lists.
const maxComputersNamed = 8

// eventComputers lists the computers (sorted, bounded) that event-log
// findings of low severity or above name.
func eventComputers(fs []finding.Finding) (names []string, total int) {
	seen := map[string]bool{}
	for _, f := range fs {
		if f.Severity < finding.Low || f.Context || f.Line == 0 {
			continue
		}
		if c := f.Evidence.Get("computer"); c != "" && f.Evidence.Get("event_id") != "" {
			seen[strings.ToLower(c)] = true
		}
	}
	names = make([]string, 0, len(seen))
	for c := range seen {
		names = append(names, c)
	}
	slices.Sort(names)
	if len(names) > maxComputersNamed {
		names = append(names[:maxComputersNamed], "...")
	}
	return names, len(seen)
}

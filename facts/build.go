package facts

import (
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/exhunt/exhunt/builds"
	"github.com/exhunt/exhunt/sysreg"
)

// InstalledUpdate is an Exchange update the registry says was installed.
type InstalledUpdate struct {
	Name      string
	KB        string
	Installed time.Time
	// Source names the registry key it was read from.
	Source string
}

// BuildFacts is what is known of the server's Exchange build: the exact
// build from ExSetup.exe's version when it can be read, the cumulative
// update level from the registry, the updates the registry lists, and
// where the two disagree.
type BuildFacts struct {
	// Version is the best known build; Precision says how exact it is:
	// "exact" (ExSetup.exe's file version) or "cu" (the registry's
	// cumulative update level: security updates do not change it).
	Version   builds.Version
	Known     bool
	Precision string
	Source    string
	// Registry is the registry's CU-level build ("" when unknown).
	Registry string
	// ExSetup is ExSetup.exe's file version ("" when unknown).
	ExSetup string
	Updates []InstalledUpdate
	// Disagreements are signs of a half-applied update: product files
	// whose versions do not agree.
	Disagreements []string
	// Problems are build sources that were not used, with why.
	Problems []string
}

// updateKeys are where Exchange's installer records its updates, by
// product (HealthChecker's Get-ExchangeUpdates reads the same keys).
var updateKeys = []string{`Microsoft\Updates\Exchange 2019`, `Microsoft\Updates\Exchange 2016`, `Microsoft\Updates\Exchange 2013`}

const uninstallKey = `Microsoft\Windows\CurrentVersion\Uninstall`

var kbNumber = regexp.MustCompile(`KB\d{6,8}`)

// maxUpdateKeys bounds the registry keys looked at for updates.
const maxUpdateKeys = 5000

// readBuild gathers the build facts from the registry; ExSetup.exe's
// version is added by the caller that can read PE files.
func (s *Server) readBuild() {
	b := &s.Build
	r := s.Registry
	if s.Identity.Exchange != "" {
		if v, err := builds.Parse(s.Identity.Exchange); err == nil {
			b.Registry = v.String()
			b.Version, b.Known, b.Precision, b.Source = v, true, "cu", s.Identity.ExchangeSource
		}
	}
	for _, key := range updateKeys {
		subs, err := r.Subkeys(sysreg.Software, key)
		if err != nil {
			continue
		}
		for i, sub := range subs {
			if i == maxUpdateKeys {
				break
			}
			k := key + `\` + sub
			name := sysreg.StringOr(r, sysreg.Software, k, "PackageName")
			if name == "" {
				continue
			}
			u := InstalledUpdate{Name: name, KB: kbNumber.FindString(name), Source: r.Describe(sysreg.Software) + ` (` + k + `)`}
			u.Installed = parseInstallDate(sysreg.StringOr(r, sysreg.Software, k, "InstalledDate"))
			b.Updates = append(b.Updates, u)
		}
	}
	if subs, err := r.Subkeys(sysreg.Software, uninstallKey); err == nil {
		for i, sub := range subs {
			if i == maxUpdateKeys {
				break
			}
			k := uninstallKey + `\` + sub
			name := sysreg.StringOr(r, sysreg.Software, k, "DisplayName")
			if !strings.Contains(name, "Exchange Server") || !strings.Contains(name, "Update") {
				continue
			}
			kb := kbNumber.FindString(name)
			dup := false
			for _, u := range b.Updates {
				dup = dup || (kb != "" && u.KB == kb)
			}
			if dup {
				continue
			}
			u := InstalledUpdate{Name: name, KB: kb, Source: r.Describe(sysreg.Software) + ` (` + k + `)`}
			u.Installed = parseInstallDate(sysreg.StringOr(r, sysreg.Software, k, "InstallDate"))
			b.Updates = append(b.Updates, u)
		}
	}
	sort.Slice(b.Updates, func(i, j int) bool { return b.Updates[i].Installed.Before(b.Updates[j].Installed) })
	b.fromUpdates()
}

// fromUpdates raises a CU-level build to the newest release of its CU
// whose KB the registry lists as installed: security updates do not change
// the registry's version, but they record themselves.
func (b *BuildFacts) fromUpdates() {
	if !b.Known || b.Precision != "cu" {
		return
	}
	table, err := builds.Builtin()
	if err != nil {
		return
	}
	best := b.Version
	via := ""
	product := builds.Product(b.Version)
	cu := ""
	for _, r := range table.Releases {
		if r.SU == "" && r.Version.SameCU(b.Version) {
			cu = r.CU
		}
	}
	for _, u := range b.Updates {
		if u.KB == "" || !updateNames(u.Name, product, cu) {
			continue
		}
		for _, r := range table.Releases {
			if r.KB == u.KB && r.SU != "" && r.Version.SameCU(b.Version) && r.Version.Compare(best) > 0 {
				best, via = r.Version, u.Name
			}
		}
	}
	if via != "" {
		b.Version, b.Precision = best, "update"
		b.Source = "the installed update the registry lists: " + via
	}
}

var (
	updateProduct = regexp.MustCompile(`Exchange Server (2013|2016|2019|SE)\b`)
	updateCU      = regexp.MustCompile(`(?i)(?:Cumulative Update|\bCU)\s*(\d+)\b`)
)

// updateNames reports whether an installed update's name is for this
// product and CU: one KB covers the same month's update of every CU, and
// a leftover entry of an earlier CU must not raise the build. A name that
// does not say is taken at its KB.
func updateNames(name, product, cu string) bool {
	if m := updateProduct.FindStringSubmatch(name); m != nil && "Exchange "+m[1] != product {
		return false
	}
	if m := updateCU.FindStringSubmatch(name); m != nil && cu != "" && !strings.EqualFold("CU"+m[1], cu) {
		return false
	}
	return true
}

// parseInstallDate reads the dates Windows installers write: 20210303,
// 3/3/2021, 2021-03-03.
func parseInstallDate(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"20060102", "1/2/2006", "2006-01-02", "1/2/2006 3:04:05 PM"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// SetExSetupVersion records ExSetup.exe's file version, the exact build,
// and notes where it disagrees with the registry: another CU, or an
// update the registry lists as installed whose files are not there (an
// update run without elevation in 2021 left servers so).
func (b *BuildFacts) SetExSetupVersion(v builds.Version, source string) {
	b.ExSetup = v.String()
	if b.Known && (b.Version.Major != v.Major || b.Version.Minor != v.Minor || builds.Product(v) != builds.Product(b.Version)) {
		// An unfinished setup leaves an older CU of the same product,
		// never another product: this ExSetup.exe is not the server's.
		b.Problems = append(b.Problems, source+" is "+v.String()+" ("+builds.Product(v)+"), another product than the registry's "+b.Version.String()+": not used")
		return
	}
	if b.Registry != "" {
		if reg, err := builds.Parse(b.Registry); err == nil && !reg.SameCU(v) {
			b.Disagreements = append(b.Disagreements, "the registry names cumulative update "+reg.String()+" but ExSetup.exe is "+v.String()+": the last setup did not finish")
		}
	}
	if b.Known && b.Precision == "update" && b.Version.SameCU(v) && b.Version.Compare(v) > 0 && !sameUpdate(b.Version, v) {
		b.Disagreements = append(b.Disagreements, "the registry lists an update for build "+b.Version.String()+" as installed ("+b.Source+"), but ExSetup.exe is still "+v.String())
	}
	b.Version, b.Known, b.Precision, b.Source = v, true, "exact", source
}

// sameUpdate reports whether two builds are the same update under two
// published numbers (March 2021 for Exchange 2016 CU8 and CU9).
func sameUpdate(a, b builds.Version) bool {
	table, err := builds.Builtin()
	if err != nil {
		return false
	}
	x, y := table.Lookup(a), table.Lookup(b)
	return x.Known && y.Known && x.SU != "" && x.SU == y.SU && a.SameCU(b)
}

// checkOWAFolders compares ExSetup.exe's build with the versioned folders
// an update writes under owa\auth (15.1.2176.9): an update that did not
// finish leaves them apart.
func (b *BuildFacts) checkOWAFolders(names []string) {
	if b.Precision != "exact" {
		return
	}
	var newest builds.Version
	found := false
	for _, n := range names {
		v, err := builds.Parse(n)
		if err != nil || v.Revision < 0 || !v.SameCU(b.Version) {
			continue
		}
		if !found || v.Compare(newest) > 0 {
			newest, found = v, true
		}
	}
	if found && newest != b.Version && !sameUpdate(newest, b.Version) {
		b.Disagreements = append(b.Disagreements, "ExSetup.exe is "+b.Version.String()+" but the newest versioned folder under owa\\auth is "+newest.String())
	}
}

package probe

import (
	"slices"
	"sync"

	"github.com/exhunt/exhunt/builds"
)

// Vulnerability answers, as the contract names them.
const (
	VulnerableYes     = "yes"
	VulnerableNo      = "no"
	VulnerableUnknown = "unknown"
)

// Exposure is what a build read from outside says of a server.
type Exposure struct {
	// Vulnerable is "yes" when the build is open to a critical CVE
	// whatever update it has, "unknown" when only the update installed
	// (which the build read does not show) decides, "no" otherwise.
	Vulnerable string
	// CVEs are those the server is open to ("yes"), or may be ("unknown").
	CVEs []string
	// Exact is true for a four-part build (the security update level is
	// known), false for a CU-level one (three parts: the logon page's).
	Exact bool
	// What names the build in words.
	What string
}

// assessed remembers the exposures worked out: a fleet runs a handful
// of builds, and working one out walks the whole table. The builds come
// from the targets' answers, so the memory is bounded.
var assessed = struct {
	sync.Mutex
	m map[assessKey]Exposure
}{m: map[assessKey]Exposure{}}

type assessKey struct {
	table *builds.Table
	build builds.Version
}

const maxAssessed = 4096

// assess is Assess, remembered.
func assess(t *builds.Table, v builds.Version) Exposure {
	k := assessKey{t, v}
	assessed.Lock()
	e, ok := assessed.m[k]
	assessed.Unlock()
	if ok {
		return e
	}
	e = Assess(t, v)
	assessed.Lock()
	if len(assessed.m) < maxAssessed {
		assessed.m[k] = e
	}
	assessed.Unlock()
	return e
}

// Assess tells what a build means for a server. A three-part build
// names only the cumulative update: a CVE that an update of that CU
// fixes may be fixed or not, so it makes the answer "unknown"; one that
// no update of the CU fixes makes it "yes".
func Assess(t *builds.Table, v builds.Version) Exposure {
	a := t.Lookup(v)
	e := Exposure{Exact: v.Revision >= 0, What: a.What}
	if a.Product == "" {
		e.Vulnerable = VulnerableUnknown
		return e
	}
	if e.Exact {
		for _, c := range a.Missing {
			e.CVEs = append(e.CVEs, c.CVE)
		}
		e.Vulnerable = VulnerableNo
		if len(e.CVEs) > 0 {
			e.Vulnerable = VulnerableYes
		}
		return e
	}
	// Which of the CU's own missing fixes some update of the CU brings.
	var updates []builds.Answer
	for _, r := range t.Releases {
		if r.Version.SameCU(v) && r.Version.Revision >= 0 && r.SU != "" {
			updates = append(updates, t.Lookup(r.Version))
		}
	}
	var certain, maybe []string
	for _, c := range a.Missing {
		fixedByAnUpdate := slices.ContainsFunc(updates, func(u builds.Answer) bool {
			return !slices.ContainsFunc(u.Missing, func(m builds.Critical) bool { return m.CVE == c.CVE })
		})
		if fixedByAnUpdate {
			maybe = append(maybe, c.CVE)
		} else {
			certain = append(certain, c.CVE)
		}
	}
	switch {
	case len(certain) > 0:
		e.Vulnerable, e.CVEs = VulnerableYes, certain
	case len(maybe) > 0:
		e.Vulnerable, e.CVEs = VulnerableUnknown, maybe
	default:
		e.Vulnerable = VulnerableNo
	}
	return e
}

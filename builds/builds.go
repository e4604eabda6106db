package builds

import (
	_ "embed"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

var (
	//go:embed data/releases.tsv
	releasesTSV string
	//go:embed data/su-cves.tsv
	suCVEsTSV string
	//go:embed data/critical.tsv
	criticalTSV string
	//go:embed data/su-cves-partial.tsv
	partialTSV string
)

// Critical is a CVE exhunt names when a build misses its fix.
type Critical struct {
	CVE, Name, Source string
}

// Table is the build knowledge.
type Table struct {
	Releases []Release
	// fixes lists the CVEs each update fixes, with the products they
	// apply to ("2013/2016/2019").
	fixes    map[string][]suCVE
	critical map[string]Critical
	suDate   map[string]time.Time
	// partial names, for a CVE an update fixed only on some CUs, those
	// CUs ("Exchange 2016 CU19").
	partial map[string]map[string]bool
	// fixer names, for each CVE, the latest update that fixes it: a
	// lookup asks it for every CVE, so it is worked out once.
	fixer map[string]string
}

type suCVE struct {
	cve      string
	products string
}

var (
	builtinOnce sync.Once
	builtin     *Table
	builtinErr  error
)

// Builtin is the table built into exhunt.
func Builtin() (*Table, error) {
	builtinOnce.Do(func() {
		builtin, builtinErr = Load(releasesTSV, suCVEsTSV, criticalTSV)
		if builtinErr == nil {
			builtinErr = builtin.loadPartial(partialTSV)
		}
	})
	return builtin, builtinErr
}

// MustBuiltin is Builtin for callers that cannot go on without it: the
// embedded data is checked by the package's tests.
func MustBuiltin() *Table {
	t, err := Builtin()
	if err != nil {
		panic("builds: built-in table: " + err.Error())
	}
	return t
}

func lines(tsv string) [][]string {
	var out [][]string
	for _, l := range strings.Split(tsv, "\n") {
		if l = strings.TrimRight(l, "\r"); l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, strings.Split(l, "\t"))
	}
	return out
}

// Load reads the table's three TSV files.
func Load(releases, suCVEs, critical string) (*Table, error) {
	t := &Table{fixes: map[string][]suCVE{}, critical: map[string]Critical{}, suDate: map[string]time.Time{}}
	for i, f := range lines(releases) {
		if len(f) != 7 {
			return nil, fmt.Errorf("releases line %d: %d columns, want 7", i+1, len(f))
		}
		v, err := Parse(f[3])
		if err != nil {
			return nil, fmt.Errorf("releases line %d: %w", i+1, err)
		}
		r := Release{Product: f[0], CU: f[1], SU: f[2], Version: v, KB: f[5], Source: f[6]}
		if f[4] != "" {
			if r.Date, err = time.Parse("2006-01-02", f[4]); err != nil {
				return nil, fmt.Errorf("releases line %d: %w", i+1, err)
			}
		}
		if r.SU != "" && !r.Date.IsZero() && (t.suDate[r.SU].IsZero() || r.Date.Before(t.suDate[r.SU])) {
			t.suDate[r.SU] = r.Date
		}
		t.Releases = append(t.Releases, r)
	}
	for i, f := range lines(suCVEs) {
		if len(f) != 3 {
			return nil, fmt.Errorf("su-cves line %d: %d columns, want 3", i+1, len(f))
		}
		t.fixes[f[0]] = append(t.fixes[f[0]], suCVE{cve: f[1], products: f[2]})
	}
	t.fixer = map[string]string{}
	for _, su := range slices.Sorted(maps.Keys(t.fixes)) {
		for _, c := range t.fixes[su] {
			if best, ok := t.fixer[c.cve]; !ok || t.suDate[su].After(t.suDate[best]) {
				t.fixer[c.cve] = su
			}
		}
	}
	for i, f := range lines(critical) {
		if len(f) != 3 {
			return nil, fmt.Errorf("critical line %d: %d columns, want 3", i+1, len(f))
		}
		t.critical[f[0]] = Critical{CVE: f[0], Name: f[1], Source: f[2]}
	}
	for cve := range t.critical {
		if t.fixedBy(cve) == "" {
			return nil, fmt.Errorf("critical %s: no security update in the table fixes it", cve)
		}
	}
	return t, nil
}

// loadPartial reads the CVEs that an update fixed only on some CUs.
func (t *Table) loadPartial(tsv string) error {
	t.partial = map[string]map[string]bool{}
	for i, f := range lines(tsv) {
		if len(f) != 4 {
			return fmt.Errorf("su-cves-partial line %d: %d columns, want 4", i+1, len(f))
		}
		set := map[string]bool{}
		for _, cu := range strings.Split(f[2], ",") {
			set[strings.TrimSpace(cu)] = true
		}
		t.partial[f[1]] = set
	}
	return nil
}

// fixedBy names the update that fixes a CVE. A CVE that two updates name
// was completed by the later one (CVE-2023-21707: February and March 2023).
func (t *Table) fixedBy(cve string) string {
	return t.fixer[cve]
}

// cveFixed reports whether build v has the fix of one CVE: the update that
// fixes it, restricted to the CUs it fixed it on, or a CU released after it.
func (t *Table) cveFixed(v Version, cu, product string, cuRows, productRows []Release, cve string) bool {
	su := t.fixedBy(cve)
	if !t.fixed(v, cuRows, productRows, su) {
		return false
	}
	only, ok := t.partial[cve]
	if !ok || only[product+" "+cu] {
		return true
	}
	// On other CUs only a CU released after the update has the fix.
	for _, r := range cuRows {
		if r.SU == "" && !r.Date.IsZero() && !r.Date.Before(t.suDate[su]) {
			return true
		}
	}
	return len(cuRows) == 0 // a CU the table does not know, judged by fixed
}

// productCode is how the CVE map names a product ("2016", "SE").
func productCode(product string) string {
	return strings.TrimPrefix(product, "Exchange ")
}

// Answer is what the table says about one build.
type Answer struct {
	Build   Version
	Product string
	// Release is the exact release, when the build is in the table.
	Release *Release
	// CU is the cumulative update the build belongs to ("" if unknown).
	CU string
	// SU names the update of the build; "" for a CU's own build.
	SU string
	// Known is true when the build is in the table.
	Known bool
	// Newer is true when the build is newer than every release of its
	// product in the table.
	Newer bool
	// ProxyLogonAffected is false for products the March 2021 chain does
	// not reach (Exchange 2007 and older).
	ProxyLogonAffected bool
	ProxyLogonPatched  bool
	// Missing are the critical CVEs the build does not have the fix for.
	Missing []Critical
	// Next is the update to install: the newest release of this CU, or
	// the newest of the product when this CU gets no more updates.
	Next *Release
	// Latest is the newest release of the product.
	Latest *Release
	// What names the build in one sentence; Explanation says all of it
	// in words.
	What        string
	Explanation string
}

// proxyLogonSU is the update that fixed the March 2021 chain.
const proxyLogonSU = "Mar21SU"

// exchange2010RU32 fixed CVE-2021-26857, the only one of the chain that
// reaches Exchange 2010.
var exchange2010RU32 = Version{14, 3, 513, 0}

// Lookup tells what a build is.
func (t *Table) Lookup(v Version) Answer {
	a := Answer{Build: v, Product: Product(v)}
	var cuRows []Release
	var product []Release
	for i := range t.Releases {
		r := &t.Releases[i]
		if r.Product != a.Product {
			continue
		}
		product = append(product, *r)
		if r.Version.SameCU(v) {
			cuRows = append(cuRows, *r)
		}
		if r.Version == v || (v.Revision < 0 && r.Version.SameCU(v) && r.SU == "") {
			rr := *r
			a.Release, a.Known = &rr, r.Version == v
		}
	}
	for _, r := range cuRows {
		a.CU = r.CU
		if r.SU == "" {
			break
		}
	}
	if a.Release != nil && a.Known {
		a.SU = a.Release.SU
	}
	if len(product) > 0 {
		latest := product[0]
		for _, r := range product {
			if r.Version.Compare(latest.Version) > 0 {
				latest = r
			}
		}
		a.Latest = &latest
		a.Newer = v.Compare(latest.Version) > 0 && !latest.Version.SameCU(v)
		if v.SameCU(latest.Version) && v.Compare(latest.Version) > 0 {
			a.Newer = true
		}
	}
	if a.Product == "" {
		a.Explanation = a.explain()
		a.What = a.Explanation
		return a
	}
	a.ProxyLogonAffected = v.Major >= 14
	switch {
	case v.Major == 14:
		a.ProxyLogonPatched = v.Compare(exchange2010RU32) >= 0
		if !a.ProxyLogonPatched {
			a.Missing = append(a.Missing, t.critical["CVE-2021-26857"])
		}
	case v.Major == 15:
		a.ProxyLogonPatched = t.fixed(v, cuRows, product, proxyLogonSU)
		for _, c := range t.criticalList() {
			su := t.fixedBy(c.CVE)
			if t.appliesTo(su, c.CVE, a.Product) && !t.cveFixed(v, a.CU, a.Product, cuRows, product, c.CVE) {
				a.Missing = append(a.Missing, c)
			}
		}
	case v.Major < 14:
		a.ProxyLogonPatched = true // not affected
	}
	a.Next = t.next(v, cuRows, product, a.Latest)
	a.Explanation = a.explain()
	a.What, _, _ = strings.Cut(a.Explanation, ". It ")
	a.What = strings.TrimSuffix(a.What, ".") + "."
	return a
}

// complete reports whether a build has every critical fix that concerns
// its product.
func (t *Table) complete(v Version, cuRows, product []Release) bool {
	p := Product(v)
	cu := ""
	for _, r := range cuRows {
		cu = r.CU
	}
	for _, c := range t.critical {
		su := t.fixedBy(c.CVE)
		if t.appliesTo(su, c.CVE, p) && !t.cveFixed(v, cu, p, cuRows, product, c.CVE) {
			return false
		}
	}
	return true
}

func (t *Table) criticalList() []Critical {
	out := make([]Critical, 0, len(t.critical))
	for _, c := range t.critical {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CVE < out[j].CVE })
	return out
}

// appliesTo reports whether a CVE fixed by an update concerns a product.
func (t *Table) appliesTo(su, cve, product string) bool {
	code := productCode(product)
	for _, c := range t.fixes[su] {
		if c.cve == cve {
			for _, p := range strings.Split(c.products, "/") {
				if p == code {
					return true
				}
			}
		}
	}
	// SE descends from 2019 and has every fix 2019 had before it.
	return product == "Exchange SE"
}

// fixed reports whether build v has the fixes of update su: a release of
// its CU at least as old as v came out on or after the update (the update
// itself, a later one, or the CU when it came later), or, for a CU the
// table does not know, the CU before it already did.
func (t *Table) fixed(v Version, cuRows, product []Release, su string) bool {
	when, ok := t.suDate[su]
	if !ok {
		return false
	}
	rev := v.Revision
	if rev < 0 {
		// A CU named without its revision: judged as the CU's own build.
		rev = 0
		for _, r := range cuRows {
			if r.SU == "" && (rev == 0 || r.Version.Revision < rev) {
				rev = r.Version.Revision
			}
		}
	}
	for _, r := range cuRows {
		if !r.Date.IsZero() && !r.Date.Before(when) && r.Version.Revision <= rev {
			return true
		}
	}
	if len(cuRows) == 0 {
		// A build newer than every release of its product has what the
		// newest had; an interim build between known CUs has what the
		// CU before it had.
		var newest *Release
		for i := range product {
			if newest == nil || product[i].Version.Compare(newest.Version) > 0 {
				newest = &product[i]
			}
		}
		if newest != nil && v.Compare(newest.Version) > 0 {
			return !newest.Date.IsZero() && !newest.Date.Before(when)
		}
		var before *Release
		for i := range product {
			r := &product[i]
			if r.SU == "" && r.Version.Compare(v) < 0 && (before == nil || r.Version.Compare(before.Version) > 0) {
				before = r
			}
		}
		if before != nil && !before.Date.IsZero() && !before.Date.Before(when) {
			return true
		}
	}
	return false
}

// next is the update to install: the newest release of the build's CU when
// that one has every critical fix, else the newest release of the product
// (the CU gets no further updates).
func (t *Table) next(v Version, cuRows, product []Release, latest *Release) *Release {
	var best *Release
	for i := range cuRows {
		r := &cuRows[i]
		if r.Version.Compare(v) > 0 && (best == nil || r.Version.Compare(best.Version) > 0) {
			best = r
		}
	}
	if best != nil && (v.Major != 15 || t.complete(best.Version, cuRows, product)) {
		rr := *best
		return &rr
	}
	if latest != nil && latest.Version.Compare(v) > 0 {
		rr := *latest
		return &rr
	}
	return nil
}

func (a *Answer) explain() string {
	var b strings.Builder
	switch {
	case a.Product == "":
		return fmt.Sprintf("%s is not an Exchange Server build this table knows.", a.Build)
	case a.Known:
		fmt.Fprintf(&b, "%s is %s", a.Build, a.Release.Name())
		if !a.Release.Date.IsZero() {
			fmt.Fprintf(&b, ", released %s", a.Release.Date.Format("2006-01-02"))
		}
		if a.Release.KB != "" {
			fmt.Fprintf(&b, " (%s)", a.Release.KB)
		}
		b.WriteString(".")
	case a.Newer:
		fmt.Fprintf(&b, "%s is an %s build newer than the newest this table knows (%s).", a.Build, a.Product, a.Latest.Name())
	case a.CU != "" && a.Build.Revision < 0:
		fmt.Fprintf(&b, "%s is %s %s; without the fourth number (the revision) the security update level is unknown: judged as the CU itself, read the exact build from ExSetup.exe.", a.Build, a.Product, a.CU)
	case a.CU != "":
		fmt.Fprintf(&b, "%s is %s %s with an update this table does not know (revision %d).", a.Build, a.Product, a.CU, a.Build.Revision)
	default:
		fmt.Fprintf(&b, "%s is an %s build this table does not know.", a.Build, a.Product)
	}
	switch {
	case !a.ProxyLogonAffected:
		b.WriteString(" The March 2021 ProxyLogon vulnerabilities do not reach this product, but it has had no security updates for years: replace it.")
	case a.ProxyLogonPatched && len(a.Missing) == 0:
		b.WriteString(" It has the fixes for ProxyLogon and the later critical vulnerabilities this table lists.")
	case a.ProxyLogonPatched:
		b.WriteString(" It is patched against ProxyLogon (March 2021), but misses the fixes for:")
	default:
		b.WriteString(" It is VULNERABLE to ProxyLogon (March 2021) and misses the fixes for:")
	}
	if len(a.Missing) > 0 {
		var names []string
		for _, m := range a.Missing {
			names = append(names, m.CVE+" ("+m.Name+")")
		}
		b.WriteString(" " + strings.Join(names, ", ") + ".")
	}
	if a.Next != nil {
		fmt.Fprintf(&b, " Next: install %s", a.Next.Name())
		if a.Next.KB != "" {
			fmt.Fprintf(&b, " (%s)", a.Next.KB)
		}
		fmt.Fprintf(&b, ", build %s.", a.Next.Version)
		if a.Latest != nil && a.Next.Version != a.Latest.Version {
			fmt.Fprintf(&b, " The newest %s release is %s", a.Product, a.Latest.Name())
			if a.Latest.KB != "" {
				fmt.Fprintf(&b, " (%s)", a.Latest.KB)
			}
			b.WriteString(".")
		}
	}
	return b.String()
}

// Package builds knows every Exchange Server build: its product,
// cumulative update, security update, date and KB, and which critical
// CVEs each update fixes. It answers, for any build number, what it is,
// whether it is patched against the March 2021 ProxyLogon chain, which
// critical CVEs it still misses, and which update to install next.
//
// The knowledge is data (data/releases.tsv, data/su-cves.tsv,
// data/critical.tsv), made from Microsoft's and CSS-Exchange's published
// lists by the generator in builds/gen, so it can be refreshed without
// touching the code.
package builds

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is an Exchange build number: 15.1.2176.9 (major, minor, build,
// revision). Revision is -1 when only three parts are known.
type Version struct {
	Major, Minor, Build, Revision int
}

func (v Version) String() string {
	if v.Revision < 0 {
		return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Build)
	}
	return fmt.Sprintf("%d.%d.%d.%d", v.Major, v.Minor, v.Build, v.Revision)
}

// Compare orders versions part by part.
func (v Version) Compare(o Version) int {
	for _, d := range [4]int{v.Major - o.Major, v.Minor - o.Minor, v.Build - o.Build, v.Revision - o.Revision} {
		if d != 0 {
			if d < 0 {
				return -1
			}
			return 1
		}
	}
	return 0
}

// SameCU reports whether two builds belong to one cumulative update: the
// third part names the CU within a product version.
func (v Version) SameCU(o Version) bool {
	return v.Major == o.Major && v.Minor == o.Minor && v.Build == o.Build
}

// Parse reads a build as Exchange writes it: "15.1.2176.9",
// "15.01.2176.009" (zero-padded), "15.1.2176" (no revision), or the
// Exchange Management Shell's "Version 15.1 (Build 2176.2)".
func Parse(s string) (Version, error) {
	t := strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(t, "Version "); ok {
		// Version 15.1 (Build 2176.2)
		mm, b, ok := strings.Cut(rest, " (Build ")
		if ok && strings.HasSuffix(b, ")") {
			t = mm + "." + strings.TrimSuffix(b, ")")
		}
	}
	parts := strings.Split(t, ".")
	if len(parts) < 3 || len(parts) > 4 {
		return Version{}, fmt.Errorf("%q is not an Exchange build number (want e.g. 15.1.2176.9)", s)
	}
	var n [4]int
	n[3] = -1
	for i, p := range parts {
		if p == "" || len(p) > 6 {
			return Version{}, fmt.Errorf("%q is not an Exchange build number (want e.g. 15.1.2176.9)", s)
		}
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 {
			return Version{}, fmt.Errorf("%q is not an Exchange build number (want e.g. 15.1.2176.9)", s)
		}
		n[i] = x
	}
	return Version{n[0], n[1], n[2], n[3]}, nil
}

// Product names the product a build belongs to.
func Product(v Version) string {
	switch {
	case v.Major == 15 && v.Minor == 2 && v.Build >= seFirstBuild:
		return "Exchange SE"
	case v.Major == 15 && v.Minor == 2:
		return "Exchange 2019"
	case v.Major == 15 && v.Minor == 1:
		return "Exchange 2016"
	case v.Major == 15 && v.Minor == 0:
		return "Exchange 2013"
	case v.Major == 14:
		return "Exchange 2010"
	case v.Major == 8:
		return "Exchange 2007"
	case v.Major == 6 && v.Minor == 5:
		return "Exchange 2003"
	case v.Major == 6:
		return "Exchange 2000"
	case v.Major == 5 || v.Major == 4:
		return fmt.Sprintf("Exchange %d.%d", v.Major, v.Minor)
	}
	return ""
}

// seFirstBuild is the build part of Exchange Server SE RTM (15.2.2562):
// SE keeps 2019's 15.2.
const seFirstBuild = 2562

// productOrder sorts products oldest first.
var productOrder = map[string]int{
	"Exchange 4.0": 0, "Exchange 5.0": 1, "Exchange 5.5": 2, "Exchange 2000": 3, "Exchange 2003": 4,
	"Exchange 2007": 5, "Exchange 2010": 6, "Exchange 2013": 7, "Exchange 2016": 8, "Exchange 2019": 9, "Exchange SE": 10,
}

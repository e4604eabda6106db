package builds

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const versions = "../../shared/data/versions"

func readRows(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(versions, name))
	if err != nil {
		t.Skipf("../shared/data is not present: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

// march2021 is the day the ProxyLogon security update came out.
var march2021 = time.Date(2021, 3, 2, 0, 0, 0, 0, time.UTC)

// patchedOracle says whether a row of the lists is patched against
// ProxyLogon, by a rule independent of the table's: every Exchange
// 2013-SE release dated on or after 2 March 2021 is that update, a later
// one or a CU that includes it; every earlier one is not. Exchange 2010 is
// reached only by CVE-2021-26857, fixed in SP3 RU32 (14.3.513.0); older
// products are not reached.
func patchedOracle(v Version, date time.Time) bool {
	switch {
	case v.Major == 14:
		return v.Compare(Version{14, 3, 513, 0}) >= 0
	case v.Major < 14:
		return true
	}
	return !date.Before(march2021)
}

// TestEveryMicrosoftRow answers every row of Microsoft's list: the build
// is known, named as the list names it, and graded as the date says.
func TestEveryMicrosoftRow(t *testing.T) {
	table := MustBuiltin()
	rows := readRows(t, "ExchangeBuildNumbers.csv")
	checked := 0
	for _, row := range rows {
		v, err := Parse(row[1])
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		product, cu, su, ok := splitName(row[0])
		if !ok {
			t.Errorf("row %q: product not recognised", row[0])
			continue
		}
		date, err := parseDate(row[2])
		if err != nil {
			t.Fatal(err)
		}
		a := table.Lookup(v)
		if !a.Known || a.Product != product || a.Release.CU != cu || a.Release.SU != su {
			t.Errorf("%s (%s): known %v, %s / %s / %s", row[1], row[0], a.Known, a.Product, a.CU, a.SU)
			continue
		}
		if kb := strings.TrimSpace(row[3]); kb != "" && a.Release.KB != kb {
			t.Errorf("%s: KB %s, want %s", row[1], a.Release.KB, kb)
		}
		if want := patchedOracle(v, date); a.ProxyLogonPatched != want {
			t.Errorf("%s (%s, %s): ProxyLogon patched %v, want %v", row[1], row[0], row[2], a.ProxyLogonPatched, want)
		}
		missing := map[string]bool{}
		for _, m := range a.Missing {
			missing[m.CVE] = true
		}
		if v.Major == 15 && a.ProxyLogonPatched == missing["CVE-2021-26855"] {
			t.Errorf("%s: patched %v but CVE-2021-26855 missing %v", row[1], a.ProxyLogonPatched, missing["CVE-2021-26855"])
		}
		checked++
	}
	t.Logf("%d of %d rows of ExchangeBuildNumbers.csv checked", checked, len(rows))
	if checked < 300 {
		t.Errorf("only %d rows checked", checked)
	}
}

// TestEveryCSSRow answers every row of CSS-Exchange's dictionary, which
// holds the 2018-2021 updates Microsoft's list omits and the second build
// number of two March 2021 updates.
func TestEveryCSSRow(t *testing.T) {
	table := MustBuiltin()
	rows := readRows(t, "css-exchange_build_dictionary.csv")
	for _, row := range rows {
		v, err := Parse(row[3])
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		product := strings.Replace(row[0], "Exchange", "Exchange ", 1)
		cu := row[1]
		if product == "Exchange 2013" && cu == "CU4" {
			cu = "SP1"
		}
		a := table.Lookup(v)
		if !a.Known || a.Product != product || a.CU != cu {
			t.Errorf("%s (%v): known %v, %s %s", row[3], row, a.Known, a.Product, a.CU)
			continue
		}
		// The update's month says whether it came after March 2021; an
		// update that shares its build with a CU is named as the CU.
		when := march2021.AddDate(-10, 0, 0)
		if row[2] != "" {
			when = patchTuesday(row[2])
		} else if a.Release.Date.IsZero() {
			t.Errorf("%s: a CU without a date", row[3])
		} else {
			when = a.Release.Date
		}
		want := !when.Before(time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC))
		if a.ProxyLogonPatched != want {
			t.Errorf("%s (%s %s %s): ProxyLogon patched %v, want %v", row[3], product, cu, row[2], a.ProxyLogonPatched, want)
		}
	}
}

// TestCriticalFixLevels checks the fix levels the research lists for the
// later campaigns, on the builds just before and at each fix.
func TestCriticalFixLevels(t *testing.T) {
	table := MustBuiltin()
	for _, tc := range []struct {
		build   string
		cve     string
		missing bool
	}{
		{"15.0.1497.12", "CVE-2021-34473", true}, // Mar21SU: before ProxyShell's fix
		{"15.0.1497.15", "CVE-2021-34473", false},
		{"15.1.2176.12", "CVE-2021-34523", false},
		{"15.2.792.13", "CVE-2021-31207", true}, // Apr21SU: 31207 came in May
		{"15.2.792.15", "CVE-2021-31207", false},
		{"15.1.2375.31", "CVE-2022-41082", true},
		{"15.1.2375.37", "CVE-2022-41082", false},
		{"15.2.1118.20", "CVE-2022-41080", false},
		{"15.0.1497.44", "CVE-2023-21529", true},
		{"15.0.1497.47", "CVE-2023-21529", false},
		{"15.1.1415.8", "CVE-2021-26855", false}, // both Mar21SU builds of 2016 CU8
		{"15.1.1415.10", "CVE-2021-26855", false},
		{"15.1.1466.13", "CVE-2021-26857", false},
		{"15.1.1466.12", "CVE-2021-26857", true}, // between them: unknown, before the fix
		{"15.1.2242.4", "CVE-2021-27065", false}, // CU20 came out after the fix
		{"15.2.858.5", "CVE-2021-26858", false},
		{"15.2.2562.17", "CVE-2023-21529", false}, // SE
		{"15.1.1713.10", "CVE-2021-26412", true},  // Mar21SU of an old CU: the four ProxyLogon CVEs only
		{"15.1.1713.10", "CVE-2021-26855", false},
		{"15.1.2176.9", "CVE-2021-26412", false}, // Mar21SU of a supported CU: all seven
		{"15.1.2242.4", "CVE-2021-27078", false}, // CU20 came later
		{"15.0.1497.47", "CVE-2023-21707", true}, // completed in March 2023
		{"15.0.1497.48", "CVE-2023-21707", false},
		{"15.1.2375.12", "CVE-2021-42321", true},
		{"15.1.2375.17", "CVE-2021-42321", false},
		{"15.0.1497.6", "CVE-2020-0688", false},
		{"15.0.1497.4", "CVE-2020-0688", true},
		{"14.3.509.0", "CVE-2021-26857", true},
		{"14.3.513.0", "CVE-2021-26857", false},
	} {
		v, err := Parse(tc.build)
		if err != nil {
			t.Fatal(err)
		}
		a := table.Lookup(v)
		got := false
		for _, m := range a.Missing {
			got = got || m.CVE == tc.cve
		}
		if got != tc.missing {
			t.Errorf("%s (%s): %s missing %v, want %v", tc.build, a.What, tc.cve, got, tc.missing)
		}
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"15.1.2176.9": "15.1.2176.9", "15.01.2176.009": "15.1.2176.9", " 15.2.1118.20 ": "15.2.1118.20",
		"15.1.2176": "15.1.2176", "Version 15.1 (Build 2176.2)": "15.1.2176.2", "14.03.0513.000": "14.3.513.0",
	} {
		v, err := Parse(in)
		if err != nil || v.String() != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", in, v, err, want)
		}
	}
	for _, bad := range []string{"", "15", "15.1", "15.1.x.9", "15.1.2176.9.1", "-15.1.2176.9", "15.1.2176.9999999", "15..2176.9"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// TestNextUpdate: the advice names an update that has every critical fix,
// or the newest release of the product.
func TestNextUpdate(t *testing.T) {
	table := MustBuiltin()
	for build, want := range map[string]string{
		"15.1.2176.2":  "Exchange 2016 CU23", // CU19's last update still misses fixes
		"15.0.1497.47": "Exchange 2013 CU23 Mar23SU",
		"15.2.2562.17": "Exchange SE RTM",
	} {
		v, _ := Parse(build)
		a := table.Lookup(v)
		if a.Next == nil || !strings.HasPrefix(a.Next.Name(), want) {
			t.Errorf("%s: next %v, want %s...", build, a.Next, want)
		}
	}
	v, _ := Parse("15.2.9999.1")
	if a := table.Lookup(v); !a.Newer || a.Next != nil || !a.ProxyLogonPatched {
		t.Errorf("a build newer than the table: %+v", a)
	}
}

// TestGeneratedTableIsCurrent: the embedded table is what the generator
// makes from the lists in ../shared/data.
func TestGeneratedTableIsCurrent(t *testing.T) {
	if _, err := os.Stat(versions); err != nil {
		t.Skip("../shared/data is not present")
	}
	releases, suCVEs, err := Generate(versions, "data/su-cves-extra.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if string(releases) != releasesTSV || string(suCVEs) != suCVEsTSV {
		t.Error("builds/data is not what go run ./builds/gen makes from ../shared/data/versions: run it")
	}
	table := MustBuiltin()
	t.Logf("%d releases in the table", len(table.Releases))
}

// TestLoadRejectsBadData: a damaged table is an error, not a wrong answer.
func TestLoadRejectsBadData(t *testing.T) {
	for name, data := range map[string][3]string{
		"short row":           {"Exchange 2016\tCU19\n", suCVEsTSV, criticalTSV},
		"bad build":           {"Exchange 2016\tCU19\t\t15.x\t\t\tms\n", suCVEsTSV, criticalTSV},
		"critical unfixed":    {releasesTSV, suCVEsTSV, criticalTSV + "CVE-2099-0001\tx\ty\n"},
		"bad date":            {"Exchange 2016\tCU19\t\t15.1.2176.2\t2020-13-45\t\tms\n", suCVEsTSV, criticalTSV},
		"short critical line": {releasesTSV, suCVEsTSV, "CVE-2021-26855\n"},
		"short su-cves line":  {releasesTSV, "Mar21SU\tCVE-2021-26855\n", criticalTSV},
	} {
		if _, err := Load(data[0], data[1], data[2]); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

// FuzzParseLookup: any text either fails to parse or gets an answer,
// never a panic, and a parsed build prints back as it parses.
func FuzzParseLookup(f *testing.F) {
	for _, s := range []string{"15.1.2176.9", "15.01.2176.009", "Version 15.1 (Build 2176.2)", "14.3.513.0", "15.2.999999.1", "8.3.517.0", "0.0.0.0"} {
		f.Add(s)
	}
	table := MustBuiltin()
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(v.String())
		if err != nil || back != v {
			t.Fatalf("%q -> %v -> %v, %v", s, v, back, err)
		}
		a := table.Lookup(v)
		if a.Explanation == "" {
			t.Fatalf("%v: no explanation", v)
		}
	})
}

// TestBuildsOutsideTheTable: three-part builds are their CU's own build,
// builds newer than the table have what the newest release has.
func TestBuildsOutsideTheTable(t *testing.T) {
	table := MustBuiltin()
	for build, want := range map[string]string{
		"15.2.2562": "complete", "15.1.2242": "patched", "15.1.2176": "vulnerable",
		"15.0.1600.1": "complete", "15.1.2600.1": "complete", "15.2.2600.1": "complete",
	} {
		v, _ := Parse(build)
		a := table.Lookup(v)
		got := "vulnerable"
		switch {
		case a.ProxyLogonPatched && len(a.Missing) == 0:
			got = "complete"
		case a.ProxyLogonPatched:
			got = "patched"
		}
		if got != want {
			t.Errorf("%s: %s (%d missing), want %s", build, got, len(a.Missing), want)
		}
	}
}

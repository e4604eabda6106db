package builds

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Release is one published build: a cumulative update, or a security or
// hotfix update of one.
type Release struct {
	Product string
	// CU names the cumulative update ("CU23", "SP1", "RTM"); for products
	// before 2013 the service pack and rollup ("SP3 RU32").
	CU string
	// SU names the security or hotfix update ("Mar21SU", "Apr25HU"); ""
	// for the CU itself.
	SU      string
	Version Version
	// Date is the release date; zero when no list gives it.
	Date time.Time
	KB   string
	// Source tells which list named it: ms, css or ms+css.
	Source string
}

// Name is "Exchange 2016 CU19 Mar21SU".
func (r Release) Name() string {
	n := r.Product
	if r.CU != "" {
		n += " " + r.CU
	}
	if r.SU != "" {
		n += " " + r.SU
	}
	return n
}

var (
	productName = regexp.MustCompile(`^Exchange (4\.0|5\.0|5\.5|2000|2003|2007|2010|2013|2016|2019|SE)(?: (.*))?$`)
	updateName  = regexp.MustCompile(`^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)(\d\d)(SU|HU)(v\d+)?$`)
	// aside is a remark in parentheses after a CU's name:
	// "Exchange 2019 CU13 (2023H1)".
	aside = regexp.MustCompile(`\s*\([^)]*\)`)
)

// splitName splits Microsoft's "Exchange 2013 CU23 Mar21SU" into product,
// CU and update.
func splitName(name string) (product, cu, su string, ok bool) {
	m := productName.FindStringSubmatch(aside.ReplaceAllString(strings.TrimSpace(name), ""))
	if m == nil {
		return "", "", "", false
	}
	product = "Exchange " + m[1]
	fields := strings.Fields(m[2])
	if n := len(fields); n > 0 && updateName.MatchString(fields[n-1]) {
		su = fields[n-1]
		fields = fields[:n-1]
	}
	return product, strings.Join(fields, " "), su, true
}

// parseDate reads the lists' m/d/yyyy dates.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse("1/2/2006", s)
}

// patchTuesday is the second Tuesday of an update's month, the day
// security updates are released, for updates no list dates.
func patchTuesday(su string) time.Time {
	m := updateName.FindStringSubmatch(su)
	if m == nil {
		return time.Time{}
	}
	month, _ := time.Parse("Jan", m[1])
	var year int
	fmt.Sscanf(m[2], "%d", &year)
	t := time.Date(2000+year, month.Month(), 1, 0, 0, 0, 0, time.UTC)
	for t.Weekday() != time.Tuesday {
		t = t.AddDate(0, 0, 1)
	}
	return t.AddDate(0, 0, 7)
}

func readCSV(path string) ([][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return rows[1:], nil
}

// Generate builds the release table and the update → CVE map from the
// published lists in dir and the extra CVE facts in extraPath, as TSV.
func Generate(dir, extraPath string) (releasesTSV, suCVEsTSV []byte, err error) {
	ms, err := readCSV(filepath.Join(dir, "ExchangeBuildNumbers.csv"))
	if err != nil {
		return nil, nil, err
	}
	css, err := readCSV(filepath.Join(dir, "css-exchange_build_dictionary.csv"))
	if err != nil {
		return nil, nil, err
	}
	cves, err := readCSV(filepath.Join(dir, "css-exchange_su_to_cves.csv"))
	if err != nil {
		return nil, nil, err
	}
	byBuild := map[Version]*Release{}
	var order []Version
	add := func(r Release) {
		if old, ok := byBuild[r.Version]; ok {
			if !strings.Contains(old.Source, r.Source) {
				old.Source += "+" + r.Source
			}
			return
		}
		byBuild[r.Version] = &r
		order = append(order, r.Version)
	}
	suDates := map[string]time.Time{}
	suKB := map[string]string{} // "Exchange 2016 Mar21SU" and "Mar21SU" -> KB
	for i, row := range ms {
		if len(row) < 4 {
			return nil, nil, fmt.Errorf("ExchangeBuildNumbers.csv row %d: %d columns", i+2, len(row))
		}
		product, cu, su, ok := splitName(row[0])
		if !ok {
			return nil, nil, fmt.Errorf("ExchangeBuildNumbers.csv row %d: unknown product %q", i+2, row[0])
		}
		v, err := Parse(row[1])
		if err != nil {
			return nil, nil, fmt.Errorf("ExchangeBuildNumbers.csv row %d: %w", i+2, err)
		}
		date, err := parseDate(row[2])
		if err != nil {
			return nil, nil, fmt.Errorf("ExchangeBuildNumbers.csv row %d: %w", i+2, err)
		}
		if su != "" && !date.IsZero() && (suDates[su].IsZero() || date.Before(suDates[su])) {
			suDates[su] = date
		}
		if kb := strings.TrimSpace(row[3]); su != "" && kb != "" {
			if suKB[product+" "+su] == "" {
				suKB[product+" "+su] = kb
			}
			if suKB[su] == "" {
				suKB[su] = kb
			}
		}
		add(Release{Product: product, CU: cu, SU: su, Version: v, Date: date, KB: strings.TrimSpace(row[3]), Source: "ms"})
	}
	for i, row := range css {
		if len(row) < 4 {
			return nil, nil, fmt.Errorf("css-exchange_build_dictionary.csv row %d: %d columns", i+2, len(row))
		}
		product := strings.Replace(row[0], "Exchange", "Exchange ", 1)
		cu := row[1]
		if product == "Exchange 2013" && cu == "CU4" {
			cu = "SP1" // CSS-Exchange keys 2013 SP1 as CU4
		}
		v, err := Parse(row[3])
		if err != nil {
			return nil, nil, fmt.Errorf("css-exchange_build_dictionary.csv row %d: %w", i+2, err)
		}
		r := Release{Product: product, CU: cu, SU: row[2], Version: v, Source: "css"}
		if r.SU != "" {
			r.Date = suDates[r.SU]
			if r.Date.IsZero() {
				r.Date = patchTuesday(r.SU)
			}
			if r.KB = suKB[product+" "+r.SU]; r.KB == "" {
				r.KB = suKB[r.SU]
			}
		}
		add(r)
	}
	// A CU without a date in either list takes the date of its first
	// release in the table.
	releases := make([]Release, 0, len(order))
	for _, v := range order {
		releases = append(releases, *byBuild[v])
	}
	sort.Slice(releases, func(i, j int) bool {
		a, b := releases[i], releases[j]
		if a.Product != b.Product {
			return productOrder[a.Product] < productOrder[b.Product]
		}
		return a.Version.Compare(b.Version) < 0
	})
	var out bytes.Buffer
	out.WriteString("# Made by go run ./builds/gen from ExchangeBuildNumbers.csv (Microsoft) and css-exchange_build_dictionary.csv (CSS-Exchange); do not edit.\n")
	out.WriteString("# product\tcu\tsu\tbuild\tdate\tkb\tsource\n")
	for _, r := range releases {
		date := ""
		if !r.Date.IsZero() {
			date = r.Date.Format("2006-01-02")
		}
		fmt.Fprintf(&out, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Product, r.CU, r.SU, r.Version, date, r.KB, r.Source)
	}

	var cv bytes.Buffer
	cv.WriteString("# Made by go run ./builds/gen from css-exchange_su_to_cves.csv (CSS-Exchange HealthChecker) and su-cves-extra.tsv; do not edit.\n")
	cv.WriteString("# update\tcve\tproducts\n")
	seen := map[string]bool{}
	addCVE := func(su, cve, products string) {
		k := su + "\t" + cve
		if seen[k] {
			return
		}
		seen[k] = true
		fmt.Fprintf(&cv, "%s\t%s\t%s\n", su, cve, products)
	}
	for i, row := range cves {
		if len(row) < 3 {
			return nil, nil, fmt.Errorf("css-exchange_su_to_cves.csv row %d: %d columns", i+2, len(row))
		}
		addCVE(row[0], row[1], row[2])
	}
	extra, err := os.ReadFile(extraPath)
	if err != nil {
		return nil, nil, err
	}
	for _, line := range strings.Split(string(extra), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 3 {
			return nil, nil, fmt.Errorf("%s: bad line %q", extraPath, line)
		}
		addCVE(f[0], f[1], f[2])
	}
	return out.Bytes(), cv.Bytes(), nil
}

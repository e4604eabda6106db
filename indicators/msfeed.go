package indicators

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// Microsoft published its indicators of the March 2021 Exchange attacks as
// a feed (MSTIC, in Azure-Sentinel's sample data) in three forms: CSV with
// the header DateAdded,FirstSeen,Indicator,IndicatorType,TLP; a JSON array
// of objects with those keys and AdditionalMetadata {FileMd5, FileSha1}
// for the hashes; and the same objects as JSON Lines. IndicatorType is
// sha256, filepath or domainname.

// msKinds maps the feed's IndicatorType to a Kind.
var msKinds = map[string]Kind{"sha256": KindSHA256, "filepath": KindFilePath, "domainname": KindDomain}

// isMSFeedHeader tells the feed's CSV header by its column names.
func isMSFeedHeader(line []byte) bool {
	has := map[string]bool{}
	for _, f := range bytes.Split(line, []byte{','}) {
		has[strings.ToLower(strings.Trim(string(bytes.TrimSpace(f)), `"`))] = true
	}
	return has["indicator"] && has["indicatortype"]
}

// msRow is one row of the feed, whichever its form.
type msRow struct {
	DateAdded, FirstSeen, Indicator, IndicatorType, TLP string
	FileMD5, FileSHA1                                   string
}

func (l *loader) msRow(line int, r msRow) {
	typ := strings.TrimSpace(r.IndicatorType)
	kind, ok := msKinds[strings.ToLower(typ)]
	if !ok {
		l.problem(line, r.Indicator, "IndicatorType %q is not one exhunt reads (sha256, filepath, domainname)", typ)
		return
	}
	var label []string
	if r.FirstSeen != "" {
		label = append(label, "first seen "+r.FirstSeen)
	}
	if r.TLP != "" {
		label = append(label, "TLP:"+r.TLP)
	}
	ind := Indicator{Kind: kind, Value: r.Indicator, Date: r.DateAdded, Label: strings.Join(label, ", ")}
	if !l.add(line, ind) {
		return
	}
	// The JSON form gives the MD5 and SHA-1 of each file too.
	for _, h := range []struct {
		kind  Kind
		value string
	}{{KindMD5, r.FileMD5}, {KindSHA1, r.FileSHA1}} {
		if kind != KindSHA256 || h.value == "" {
			continue
		}
		same := ind
		same.Kind, same.Value = h.kind, h.value
		same.Label = strings.Join(append(label, "the file of SHA-256 "+strings.ToLower(r.Indicator)), ", ")
		if !l.add(line, same) {
			return
		}
	}
}

// msCSV reads the CSV form, finding the columns by name.
func (l *loader) msCSV() {
	cr := csv.NewReader(bytes.NewReader(l.data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		l.problem(1, "", "header: %v", err)
		return
	}
	col := map[string]int{}
	for i, name := range header {
		col[strings.ToLower(strings.TrimSpace(name))] = i
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for l.fatal == nil {
		before := cr.InputOffset()
		rec, err := cr.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			l.problem(line, "", "%v", err)
			if cr.InputOffset() == before {
				return // no progress: the rest cannot be read
			}
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		line, _ := cr.FieldPos(0)
		l.msRow(line, msRow{DateAdded: get(rec, "dateadded"), FirstSeen: get(rec, "firstseen"), Indicator: get(rec, "indicator"),
			IndicatorType: get(rec, "indicatortype"), TLP: get(rec, "tlp")})
	}
}

// msMetadata is the JSON form's AdditionalMetadata; the feed writes "" for
// rows that are not files.
type msMetadata struct {
	FileMd5, FileSha1 string
}

func (l *loader) msJSONRow(line int, o *jsonObject) {
	r := msRow{DateAdded: o.DateAdded, FirstSeen: o.FirstSeen, Indicator: o.Indicator, IndicatorType: o.IndicatorType, TLP: o.TLP}
	if m := bytes.TrimSpace(o.AdditionalMetadata); len(m) > 0 && m[0] == '{' {
		var md msMetadata
		if err := json.Unmarshal(m, &md); err != nil {
			l.problem(line, o.Indicator, "AdditionalMetadata: %v", err)
		}
		r.FileMD5, r.FileSHA1 = md.FileMd5, md.FileSha1
	}
	l.msRow(line, r)
}

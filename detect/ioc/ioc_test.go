package ioc

import (
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/indicators"
	"github.com/exhunt/exhunt/source/literal"
)

// record is a log record of named fields, for the tests.
type record map[string]string

func (r record) Get(name string) string { return r[name] }
func (r record) Has(name string) bool   { _, ok := r[name]; return ok }
func (r record) Field(int) string       { return "" }
func (r record) NumFields() int         { return len(r) }
func (r record) Time() (time.Time, bool) {
	return time.Date(2021, 3, 3, 7, 0, 0, 0, time.UTC), true
}

func feed(t *testing.T, text string) *indicators.Set {
	t.Helper()
	set, problems, err := indicators.LoadReader("feed.txt", strings.NewReader(text))
	if err != nil || len(problems) > 0 {
		t.Fatalf("feed: %v %v", err, problems)
	}
	all := indicators.Builtin()
	all.Merge(set)
	return all
}

// inspect hands one record to the detectors as the scan would: by the
// client tap, or by a literal of the detector.
func inspect(t *testing.T, ctx *detect.Context, family detect.LogFamily, rec record) []string {
	raw := []byte(strings.Join(func() []string {
		var v []string
		for _, x := range rec {
			v = append(v, x)
		}
		return v
	}(), " "))
	lr := &detect.LogRecord{RecordFields: rec, Path: "x.log", Line: 3, Raw: raw}
	var got []string
	emit := func(f finding.Finding) { got = append(got, f.Rule) }
	cf := familyFields[family].client
	if tap := (ClientIPs{On: family}).WatchClients(ctx); tap != nil && tap([]byte(rec[cf])) {
		ClientIPs{On: family}.Inspect(ctx, lr, emit)
	}
	if lits := (Requests{On: family}).LiteralsFor(ctx); len(lits) > 0 && literal.NewMatcher(lits...).Contains(raw) && (Requests{On: family}).PrecheckFor(ctx)(raw) {
		Requests{On: family}.Inspect(ctx, lr, emit)
	}
	return got
}

func TestIndicatorRequests(t *testing.T) {
	ctx := &detect.Context{Indicators: feed(t, "203.0.113.0/24\nua:EvilClient/1.0 (x)\nurl:https://mail.contoso.com/owa/auth/evil.aspx\n2001:db8::/32\n")}
	iis := func(ip, ua, stem string) record {
		return record{"date": "2021-03-03", "time": "07:00:00", "c-ip": ip, "cs-method": "GET", "cs-uri-stem": stem, "cs-uri-query": "-", "cs(User-Agent)": ua, "sc-status": "200"}
	}
	proxy := func(ip, ua, stem string) record {
		return record{"DateTime": "2021-03-03T07:00:00Z", "ClientIpAddress": ip, "UrlHost": "mail.contoso.com", "UrlStem": stem, "UserAgent": ua, "HttpStatus": "200"}
	}
	for _, tc := range []struct {
		name   string
		family detect.LogFamily
		rec    record
		want   string
	}{
		{"published ip iis", detect.IIS, iis("5.254.43.18", "-", "/owa/"), "ioc-client-ip"},
		{"feed cidr httpproxy", detect.HttpProxy, proxy("203.0.113.200", "Mozilla", "/owa/"), "ioc-client-ip"},
		{"ipv6 with zone", detect.IIS, iis("2001:db8::5%12", "-", "/owa/"), "ioc-client-ip"},
		{"mapped v4", detect.HttpProxy, proxy("::ffff:5.254.43.18", "Mozilla", "/owa/"), "ioc-client-ip"},
		{"feed ua with plus", detect.IIS, iis("10.0.0.1", "EvilClient/1.0+(x)", "/owa/"), "ioc-user-agent"},
		{"feed ua spaces", detect.HttpProxy, proxy("10.0.0.1", "EvilClient/1.0 (x)", "/owa/"), "ioc-user-agent"},
		{"feed url", detect.HttpProxy, proxy("10.0.0.1", "Mozilla", "/owa/auth/evil.aspx"), "ioc-url"},
		// Quiet: next to the CIDR, a published crawler agent (checked only
		// with its request), another host's URL.
		{"outside cidr", detect.IIS, iis("203.0.114.1", "-", "/owa/"), ""},
		{"published crawler", detect.IIS, iis("10.0.0.1", "Mozilla/5.0+(compatible;+YandexBot/3.0;++http://yandex.com/bots)", "/"), ""},
		{"ordinary", detect.HttpProxy, proxy("10.0.0.1", "Mozilla/5.0 (Windows NT 10.0)", "/owa/service.svc"), ""},
	} {
		got := strings.Join(inspect(t, ctx, tc.family, tc.rec), ",")
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	// No indicators, no tap: the readers then look at no address.
	if (ClientIPs{On: detect.IIS}).WatchClients(&detect.Context{}) != nil {
		t.Error("a tap without indicators")
	}
}

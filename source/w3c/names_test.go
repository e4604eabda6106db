package w3c

import "testing"

func TestNameFormat(t *testing.T) {
	for name, want := range map[string]Format{
		"u_ex210305.log":   FormatW3C,
		"U_EX210305.LOG":   FormatW3C,
		"u_ex21030512.log": FormatW3C,
		"u_ex210305_x.log": FormatW3C,
		"u_ex2103.log":     FormatW3C,
		"u_extend1.log":    FormatW3C,
		"u_extend123.log":  FormatW3C,
		"ex210305.log":     FormatW3C,
		"extend7.log":      FormatW3C,
		`C:\inetpub\logs\LogFiles\W3SVC1\u_ex210305.log`: FormatW3C,
		"inetpub/logs/LogFiles/W3SVC2/u_ex210305.log":    FormatW3C,
		"u_in210305.log":             FormatIIS,
		"in21030512.log":             FormatIIS,
		"u_inetsv1.log":              FormatIIS,
		"u_nc210305.log":             FormatNCSA,
		"ncsa3.log":                  FormatNCSA,
		"u_ex21030.log":              FormatUnknown,
		"u_ex2103051.log":            FormatUnknown,
		"u_ex210305.log.gz":          FormatUnknown,
		"u_ex210305_y.log":           FormatUnknown,
		"u_in210305_x.log":           FormatUnknown,
		"u_extend.log":               FormatUnknown,
		"u_exabcdef.log":             FormatUnknown,
		"httperr1.log":               FormatUnknown,
		"HttpProxy_2021030300-1.LOG": FormatUnknown,
		"u_ex210305.txt":             FormatUnknown,
		"":                           FormatUnknown,
	} {
		if got := NameFormat(name); got != want {
			t.Errorf("NameFormat(%q) = %v, want %v", name, got, want)
		}
		if IsLogName(name) != (want != FormatUnknown) {
			t.Errorf("IsLogName(%q) = %v", name, !(want != FormatUnknown))
		}
	}
}

func TestSiteID(t *testing.T) {
	for path, want := range map[string]int{
		`C:\inetpub\logs\LogFiles\W3SVC1\u_ex210305.log`: 1,
		"inetpub/logs/LogFiles/w3svc2/u_ex210305.log":    2,
		"D:/IISLogs/W3SVC1/old/W3SVC12/u_ex210305.log":   12,
		"W3SVC3":                                  3,
		"W3SVC1/":                                 1,
		"logs/W3SVC/u_ex210305.log":               0,
		"logs/W3SVC0/u_ex210305.log":              0,
		"logs/W3SVCx1/u_ex210305.log":             0,
		"logs/W3SVC99999999999999/u_ex210305.log": 0,
		"logs/FTPSVC1/u_ex210305.log":             0,
		"logs/u_ex210305.log":                     0,
		"":                                        0,
	} {
		id, ok := SiteID(path)
		if id != want || ok != (want != 0) {
			t.Errorf("SiteID(%q) = %d, %v; want %d", path, id, ok, want)
		}
	}
}

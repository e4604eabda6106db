package correlate

import (
	"fmt"
	"testing"
	"time"

	"github.com/exhunt/exhunt/finding"
)

// BenchmarkServer correlates a server at the scan's bound of listed
// findings: a mass scan from many clients plus one attacker's chain.
func BenchmarkServer(b *testing.B) {
	fs := attackFindings()
	for i := 0; len(fs) < 100000; i++ {
		tm := day.Add(time.Duration(i) * time.Second)
		ip := fmt.Sprintf("10.%d.%d.%d", i/65536%256, i/256%256, i%256)
		fs = append(fs, mk("proxylogon-ssrf-autodiscover", finding.StageAttempt, finding.Low, ecpLog, 1000+i, &tm, ev(
			"ClientIpAddress", ip, "UserAgent", "scanner", "UrlStem", "/ecp/x.js",
			"AnchorMailbox", "ServerInfo~a]@ex01:444/autodiscover/autodiscover.xml?#")))
	}
	base := server(fs, coverage(), patched)
	b.ResetTimer()
	for range b.N {
		s := *base
		Server(&s)
		if s.SessionsNotListed == 0 {
			b.Fatal("bound not reached")
		}
	}
}

package w3c

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"

	"github.com/exhunt/exhunt/source/literal"
)

var (
	benchOnce sync.Once
	benchLog  []byte
)

// benchData is 100 MB of front-end lines as an Exchange server logs them,
// with a header block every 100,000 lines and a web shell call every
// 200,000.
func benchData() []byte {
	benchOnce.Do(func() {
		rng := rand.New(rand.NewSource(1))
		stems := []string{
			"/owa/", "/owa/service.svc action=GetItem&UA=0&app=Mail&n=12&CorrelationID=<empty>;&cafeReqId=%08x-4082-4ea1-8872-bf21a831ee95;",
			"/mapi/emsmdb/ mailboxId=%08x@contoso.com&CorrelationID=<empty>;&cafeReqId=%08x-7c69-4963-9e99-3ece666e792f;&encoding=;",
			"/Microsoft-Server-ActiveSync/default.eas Cmd=Ping&User=alice&DeviceId=%08x&DeviceType=iPhone&CorrelationID=<empty>;",
			"/EWS/Exchange.asmx &CorrelationID=<empty>;&cafeReqId=%08x-03ba-4cc5-bc9d-f8ad7761b607;",
			"/autodiscover/autodiscover.xml &CorrelationID=<empty>;&cafeReqId=%08x-4149-4d14-aee4-8c18470818e0;",
		}
		agents := []string{
			"Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/88.0.4324.182+Safari/537.36",
			"Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.5110;+Pro)",
			"Apple-iPhone13C2/1805.114",
		}
		var b bytes.Buffer
		for n := 0; b.Len() < 100<<20; n++ {
			if n%100000 == 0 {
				b.WriteString(header15)
			}
			if n%200000 == 199999 {
				b.WriteString("2021-03-05 03:06:27 10.0.0.5 GET /owa/auth/RedirSuiteServerProxy.aspx &CorrelationID=<empty>;&encoding=; 443 - 139.162.202.236 python-requests/2.25.1 - 200 0 0 133\r\n")
				continue
			}
			stem := strings.ReplaceAll(stems[rng.Intn(len(stems))], "%08x", fmt.Sprintf("%08x", rng.Uint32()))
			if !strings.Contains(stem, " ") {
				stem += " -"
			}
			fmt.Fprintf(&b, "2021-03-05 %02d:%02d:%02d 10.0.0.5 POST %s 443 CONTOSO\\alice 198.51.100.%d %s - 200 0 0 %d\r\n",
				n/3600000%24, n/60000%60, n/1000%60, stem, rng.Intn(250), agents[rng.Intn(len(agents))], rng.Intn(500))
		}
		benchLog = b.Bytes()
	})
	return benchLog
}

func BenchmarkRead(b *testing.B) {
	data := benchData()
	for _, bc := range []struct {
		name    string
		matcher *literal.Matcher
	}{
		{"all-records", nil},
		{"one-rare-literal", literal.NewMatcher("redirsuiteserverproxy")},
		{"rare-literals", literal.NewMatcher("/owa/auth/redirsuiteserverproxy", "python-requests", "exchangeservicesclient", "/aspnet_client/", "/ecp/y.js")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rd := NewReader(Options{Matcher: bc.matcher})
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for b.Loop() {
				n := 0
				st, err := rd.Read(bytes.NewReader(data), func(r *Record) {
					if len(r.GetBytes(FieldClientIP)) > 0 {
						n++
					}
				})
				if err != nil || len(st.Problems) > 0 || n == 0 {
					b.Fatalf("%d records, %v, %v", n, err, st.Problems)
				}
			}
		})
	}
}

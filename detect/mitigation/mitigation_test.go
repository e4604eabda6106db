package mitigation_test

import (
	"strings"
	"testing"

	"github.com/exhunt/exhunt/detect/detecttest"
)

func TestURLRewrite(t *testing.T) {
	rules := `<rewrite><rules><rule name="X-AnonResource-Backend Abort - inbound"><match url=".*" /></rule>` +
		`<rule name="X-BEResource Abort - inbound" stopProcessing="true"><match url=".*" /></rule></rules></rewrite>`
	tests := []struct {
		name, path, content, want string
	}{
		{"both rules", "inetpub/wwwroot/web.config", "<configuration><system.webServer>" + rules + "</system.webServer></configuration>", "mitigation-url-rewrite info inetpub/wwwroot/web.config"},
		{"other case", "INETPUB/WWWROOT/Web.Config", strings.ToUpper(rules), "mitigation-url-rewrite info INETPUB/WWWROOT/Web.Config"},
		{"plain web.config", "inetpub/wwwroot/web.config", "<configuration><system.webServer><defaultDocument/></system.webServer></configuration>", ""},
		{"rule text in a comment-free other file", "inetpub/wwwroot/notes.txt", rules, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := detecttest.Scan(t, []detecttest.File{{Path: tc.path, Content: tc.content}}, "mitigation-url-rewrite")
			if strings.Join(got, ",") != tc.want {
				t.Errorf("got %v, want %q", got, tc.want)
			}
		})
	}
}

package exlog

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseEventData(t *testing.T) {
	got := ParseEventData(`S:TIME=13;;'S:CMD=Set-X.Url=''a;b''.Identity=''i''';S:URL=/ecp/x?y=1;S:EX=`)
	want := []Item{{"S:TIME", "13"}, {"S:CMD", "Set-X.Url='a;b'.Identity='i'"}, {"S:URL", "/ecp/x?y=1"}, {"S:EX", ""}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in   string
		want Command
	}{
		{"Set-OabVirtualDirectory.ExternalUrl='http://f/<script a=\"b\">x;y</script>'.Identity='982d'",
			Command{"Set-OabVirtualDirectory", []Param{{"ExternalUrl", `http://f/<script a="b">x;y</script>`, true}, {"Identity", "982d", true}}}},
		{"Get-OabVirtualDirectory.ADPropertiesOnly=$true.Identity=$null",
			Command{"Get-OabVirtualDirectory", []Param{{"ADPropertiesOnly", "$true", false}, {"Identity", "$null", false}}}},
		{"Set-X.Identity=ex01.contoso.local\\owa.Url='it''s'",
			Command{"Set-X", []Param{{"Identity", "ex01.contoso.local\\owa", false}, {"Url", "it's", true}}}},
		{"Get-InboxRule", Command{Cmdlet: "Get-InboxRule"}},
		{"Pipeline.1|Get-MailboxRegionalConfiguration", Command{Cmdlet: "Pipeline"}},
	}
	for _, tc := range tests {
		if got := ParseCommand(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseCommand(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}
}

// FuzzECP decodes arbitrary EventData: no panic, no more items than the
// separators allow, no parameter without a name.
func FuzzECP(f *testing.F) {
	f.Add(`S:TIME=13;'S:CMD=Set-OabVirtualDirectory.ExternalUrl=''http://f/<script>''.Identity=''x''';S:EX=`)
	f.Add(`'unterminated;S:CMD=Set-X.A='b`)
	f.Add(`;;;=;'';''''`)
	f.Fuzz(func(t *testing.T, s string) {
		items := ParseEventData(s)
		if len(items) > strings.Count(s, ";")+1 {
			t.Fatalf("%d items from %d separators", len(items), strings.Count(s, ";"))
		}
		for _, it := range items {
			cmd := ParseCommand(it.Value)
			for _, p := range cmd.Params {
				if p.Name == "" {
					t.Fatalf("empty parameter name from %q", it.Value)
				}
			}
		}
	})
}

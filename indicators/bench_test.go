package indicators

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"testing"
)

// benchSet holds what a large feed brings: 10,000 addresses, 1,000
// networks of mixed lengths and 10,000 SHA-256 hashes, with the built-in
// indicators.
func benchSet(b *testing.B) *Set {
	b.Helper()
	s := Builtin()
	for i := 0; i < 10_000; i++ {
		ip := netip.AddrFrom4([4]byte{11, byte(i >> 8), byte(i), 7})
		if err := s.Add(Indicator{Kind: KindIP, Value: ip.String()}); err != nil {
			b.Fatal(err)
		}
		sum := sha256.Sum256([]byte(fmt.Sprint(i)))
		if err := s.Add(Indicator{Kind: KindSHA256, Value: hex.EncodeToString(sum[:])}); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < 1_000; i++ {
		bits := 16 + i%17 // /16 to /32
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{100, byte(i >> 2), byte(i << 6), 0}), bits).Masked()
		if err := s.Add(Indicator{Kind: KindCIDR, Value: p.String()}); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func BenchmarkLookups(b *testing.B) {
	s := benchSet(b)
	hit := sha256.Sum256([]byte("5000"))
	hitHex := hex.EncodeToString(hit[:])
	miss := sha256.Sum256([]byte("not listed"))
	missHex := hex.EncodeToString(miss[:])
	for _, bm := range []struct {
		name string
		fn   func() bool
	}{
		{"IPText/ipv4-hit", func() bool { return s.IPText([]byte("11.19.136.7")) != nil }},
		{"IPText/ipv4-port-miss", func() bool { return s.IPText([]byte("192.0.2.1:443")) == nil }},
		{"IPText/ipv6-miss", func() bool { return s.IPText([]byte("[2001:db8::1]:443")) == nil }},
		{"IP/miss", func() bool { return s.IP(netip.MustParseAddr("192.0.2.1")) == nil }},
		{"Hash/sha256-hit", func() bool { return s.Hash(hitHex) != nil }},
		{"Hash/sha256-miss", func() bool { return s.Hash(missHex) == nil }},
		{"Domain/miss", func() bool { return s.Domain("autodiscover.contoso.example.com") == nil }},
		{"UserAgent/miss", func() bool {
			return s.UserAgent("Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/89.0.4389.82+Safari/537.36") == nil
		}},
		{"FileName/miss", func() bool {
			return s.FileName("Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/15.1.2176/themes/resources/logon.css") == nil
		}},
	} {
		if !bm.fn() {
			b.Fatalf("%s: wrong answer", bm.name)
		}
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bm.fn()
			}
		})
	}
}

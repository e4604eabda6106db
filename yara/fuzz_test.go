package yara

import "testing"

// FuzzCompileScan checks that hostile rules and data never panic.
func FuzzCompileScan(f *testing.F) {
	f.Add(featureRules, []byte("ABCDabcd"))
	f.Add(`rule r { strings: $a = { 41 [1-3] 42 } $b = /a.{1,3}b/ condition: #a > @b[1] or !a[2] == 3 }`, []byte("AxxBaxxb"))
	f.Add(`import "math" rule r { condition: math.entropy(filesize, -1) > 1 or uint32be(filesize - 4) << 70 == 0 }`, []byte{})
	f.Add(`rule r { condition: for all i in (0..10) : (for any j in (i..3) : (j \ (i - 2) == 1)) }`, []byte("x"))
	f.Fuzz(func(t *testing.T, rules string, data []byte) {
		rs, err := Compile(Source{Name: "f.yar", Data: []byte(rules)})
		if err != nil {
			return
		}
		vars := map[string]any{}
		for _, n := range rs.Externals() {
			vars[n] = 1
		}
		rs.Scan(data, vars)
	})
}

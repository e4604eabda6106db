package scan

import (
	"fmt"
	"testing"
)

// TestClientFilter: every address added is held (in the forms logs write
// it), few others are, and a file of too many clients holds everything.
func TestClientFilter(t *testing.T) {
	var f clientFilter
	for i := 0; i < 2000; i++ {
		f.add([]byte(fmt.Sprintf("10.%d.%d.7", i/256, i%256)))
	}
	f.add([]byte("fe80::7d4c:19a2:e6b1:3c05%12"))
	f.add([]byte("::ffff:5.254.43.18"))
	f.add([]byte("[2001:db8::1]:443"))
	for i := 0; i < 2000; i++ {
		if a := fmt.Sprintf("10.%d.%d.7", i/256, i%256); !f.mayHold(a) {
			t.Fatalf("%s was added but is not held", a)
		}
	}
	for _, a := range []string{"fe80::7d4c:19a2:e6b1:3c05", "5.254.43.18", "2001:db8::1"} {
		if !f.mayHold(a) {
			t.Errorf("%s (added in another form) is not held", a)
		}
	}
	others := 0
	for i := 0; i < 10000; i++ {
		if f.mayHold(fmt.Sprintf("192.168.%d.%d", i/256, i%256)) {
			others++
		}
	}
	if others > 100 {
		t.Errorf("%d of 10,000 addresses never added are held", others)
	}
	var full clientFilter
	for i := 0; i <= 2*maxFilteredClients; i++ {
		full.add([]byte(fmt.Sprintf("172.16.%d.%d", i/256, i%256)))
	}
	if !full.full || !full.mayHold("203.0.113.45") {
		t.Error("a filter of too many clients must hold everything")
	}
	var none *clientFilter
	if !none.mayHold("1.2.3.4") {
		t.Error("a file without a filter must be read")
	}
}

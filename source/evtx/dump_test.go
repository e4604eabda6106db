package evtx

import (
	"fmt"
	"os"
	"testing"
)

// TestDump prints the records of EVTX_DUMP (a file path) as XML; a debugging aid.
func TestDump(t *testing.T) {
	path := os.Getenv("EVTX_DUMP")
	if path == "" {
		t.Skip("EVTX_DUMP not set")
	}
	f := openSample(t, path)
	problems := f.Records(func(r *Record) error {
		fmt.Printf("== record %d time %s id %d provider %q channel %q computer %q level %d\n", r.RecordID, r.Time.Format(timeLayout), r.EventID, r.Provider, r.Channel, r.Computer, r.Level)
		for _, d := range r.Data {
			fmt.Printf("   data %q = %q %q\n", d.Name, d.Value, d.Values)
		}
		fmt.Print(r.XML())
		return nil
	})
	for _, p := range problems {
		fmt.Println("problem:", p)
	}
}

func TestDumpExtra(t *testing.T) {
	path := os.Getenv("EVTX_DUMP")
	if path == "" {
		t.Skip("EVTX_DUMP not set")
	}
	f := openSample(t, path)
	f.Records(func(r *Record) error {
		var walk func(x *xnode)
		walk = func(x *xnode) {
			if a, ok := x.attr("Name"); ok && a.value == "ExtraInfo" {
				for _, k := range x.kids {
					if k.val != nil {
						fmt.Printf("%d kid typ %x data %x\n", r.RecordID, k.val.typ, k.val.data)
					} else {
						fmt.Printf("%d kid %q %q\n", r.RecordID, k.name, k.text)
					}
				}
			}
			for _, k := range x.kids {
				walk(k)
			}
		}
		r.withTree(func(root []*xnode) {
			for _, x := range root {
				walk(x)
			}
		})
		return nil
	})
}

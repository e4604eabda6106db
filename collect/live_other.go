//go:build !windows

package collect

import "github.com/exhunt/exhunt/facts"

// planLive has nothing to add off Windows: only a running Windows server
// holds files that must be exported rather than read.
func (c *collector) planLive(*facts.Server, map[string]*item) []string { return nil }

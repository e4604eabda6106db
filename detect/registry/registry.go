// Package registry is the one list of every check exhunt runs. To add a
// check, write it in its own file under detect/<topic>/ and add one line
// here; registry_test.go fails if a detector is left out.
package registry

import (
	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/mitigation"
	"github.com/exhunt/exhunt/detect/patch"
	"github.com/exhunt/exhunt/detect/postexploit"
	"github.com/exhunt/exhunt/detect/proxylogon"
	"github.com/exhunt/exhunt/detect/webshell"
)

// LogDetectors returns every check of Exchange log records.
func LogDetectors() []detect.LogDetector {
	return []detect.LogDetector{
		proxylogon.SSRF{},
		proxylogon.ResetVDir{},
		proxylogon.ECPVirtualDirectory{},
		proxylogon.OABDownload{},
		webshell.Requests{},
	}
}

// ServerDetectors returns every check of the server's facts.
func ServerDetectors() []detect.ServerDetector {
	return []detect.ServerDetector{
		patch.State{},
		mitigation.State{},
	}
}

// FileDetectors returns every check of files.
func FileDetectors() []detect.FileDetector {
	return []detect.FileDetector{
		webshell.Locations{},
		webshell.Known{},
		postexploit.LsassDump{},
		postexploit.StagedArchive{},
		mitigation.URLRewrite{},
	}
}

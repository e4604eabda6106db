// Package registry is the one list of every check exhunt runs. To add a
// check, write it in its own file under detect/<topic>/ and add one line
// here; registry_test.go fails if a detector is left out.
package registry

import (
	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/detect/content"
	"github.com/exhunt/exhunt/detect/eventlog"
	"github.com/exhunt/exhunt/detect/iis"
	"github.com/exhunt/exhunt/detect/ioc"
	"github.com/exhunt/exhunt/detect/mitigation"
	"github.com/exhunt/exhunt/detect/patch"
	"github.com/exhunt/exhunt/detect/postexploit"
	"github.com/exhunt/exhunt/detect/proxylogon"
	"github.com/exhunt/exhunt/detect/webshell"
	"github.com/exhunt/exhunt/indicators"
	"github.com/exhunt/exhunt/source"
	evtxsource "github.com/exhunt/exhunt/source/eventlog"
	"github.com/exhunt/exhunt/source/exchange"
	iissource "github.com/exhunt/exhunt/source/iis"
)

// Sources returns every log source the scan reads, in the order their
// families are reported.
func Sources() []source.Source {
	return []source.Source{
		exchange.Source{},
		iissource.Source{},
		evtxsource.Source{},
	}
}

// LogDetectors returns every check of log records.
func LogDetectors() []detect.LogDetector {
	return []detect.LogDetector{
		proxylogon.SSRF{},
		proxylogon.ResetVDir{},
		proxylogon.ECPVirtualDirectory{},
		proxylogon.OABDownload{},
		webshell.Requests{},
		iis.FrontDoor{},
		iis.Webshells{},
		iis.Commands{},
		iis.BackendResetVDir{},
		iis.Tunnels{},
		iis.UserAgents{},
		ioc.ClientIPs{On: detect.HttpProxy},
		ioc.ClientIPs{On: detect.IIS},
		ioc.Requests{On: detect.HttpProxy},
		ioc.Requests{On: detect.IIS},
		eventlog.UMErrors{},
		eventlog.ECPErrors{},
		eventlog.Cmdlets{},
		eventlog.ProcessCreation{},
		eventlog.FileWrites{},
		eventlog.Defender{},
		eventlog.LogClears{},
		eventlog.NewServices{},
		eventlog.IISEvents{},
		eventlog.DirectoryChanges{},
	}
}

// ServerDetectors returns every check of the server's facts.
func ServerDetectors() []detect.ServerDetector {
	return []detect.ServerDetector{
		patch.State{},
		mitigation.State{},
	}
}

// FileDetectors returns every check of files, with the built-in data.
func FileDetectors() []detect.FileDetector {
	return FileDetectorsWith(Options{})
}

// Options are the user's additions to the built-in data of the checks.
type Options struct {
	// Rules replaces the built-in rule pack (content.LoadRules returns
	// the pack with the user's files); nil = the built-in pack.
	Rules *content.RuleSet
	// MaxFileSize bounds the files read for content; 0 = the default.
	MaxFileSize int64
	// Indicators are the built-in indicators with the user's (--ioc)
	// merged in; nil = the built-in ones. The file checks look up their
	// hashes.
	Indicators *indicators.Set
	// Baselines are known-good hashes of Exchange's files (--baseline).
	Baselines *content.Baselines
	// NoContent turns the content checks off (--no-content); they are
	// listed as not run.
	NoContent bool
}

// FileDetectorsWith returns every check of files, with the user's data.
func FileDetectorsWith(o Options) []detect.FileDetector {
	return []detect.FileDetector{
		webshell.Locations{},
		webshell.Known{Indicators: o.Indicators},
		content.Scanner{RuleSet: o.Rules, MaxSize: o.MaxFileSize, Off: o.NoContent},
		content.Modified{Baselines: o.Baselines, RuleSet: o.Rules, MaxSize: o.MaxFileSize, Off: o.NoContent},
		content.LogLines{RuleSet: o.Rules, Off: o.NoContent},
		postexploit.LsassDump{},
		postexploit.StagedArchive{},
		mitigation.URLRewrite{},
	}
}

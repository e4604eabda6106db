package testserver

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/source/evtx/evtxwrite"
)

// eventLogDir is where Windows keeps its event logs.
const eventLogDir = "Windows/System32/winevt/Logs/"

// eventLog is one .evtx file being planned: its events in time order and
// what a correct scan finds in them (Line is the record id).
type eventLog struct {
	name   string
	events []evtxwrite.Event
	expect []Expect
}

// firstRecordID is where the planted logs' numbering starts, as in a log
// that has rolled over before.
const firstRecordID = 41000

// add appends the event with the findings a correct scan reports on it
// (their Line is set to the event's record id).
func (l *eventLog) add(e evtxwrite.Event, finds []Expect) {
	l.events = append(l.events, e)
	for _, x := range finds {
		x.Path, x.Volume, x.Line = eventLogDir+l.name, "C", firstRecordID+len(l.events)-1
		l.expect = append(l.expect, x)
	}
}

// eventLogs writes the Application, Security, System and MSExchange
// Management logs: benign traffic over the whole span (logons, service
// changes, Exchange's own cmdlets and errors), the look-alikes that must
// stay quiet, and, on an attacked server, the traces of the incident at the
// times of its requests: the web shell's command under w3wp.exe, the
// Set-OabVirtualDirectory that put the shell into the OAB settings, and a
// Unified Messaging deserialization error.
func (g *generator) eventLogs() error {
	host := g.opt.HostName + "." + g.opt.Domain
	app := &eventLog{name: "Application.evtx"}
	sec := &eventLog{name: "Security.evtx"}
	sys := &eventLog{name: "System.evtx"}
	mgmt := &eventLog{name: "MSExchange Management.evtx"}
	defender := &eventLog{name: "Microsoft-Windows-Windows Defender%4Operational.evtx"}

	type timed struct {
		at    time.Time
		log   *eventLog
		e     evtxwrite.Event
		finds []Expect // Rule, Severity and Why of what a correct scan reports
	}
	var all []timed
	at := func(t time.Time, l *eventLog, e evtxwrite.Event, finds ...Expect) {
		all = append(all, timed{t, l, e, finds})
	}

	w3wp := `c:\windows\system32\inetsrv\w3wp.exe`
	um := `C:\Program Files\Microsoft\Exchange Server\V15\Bin\UMWorkerProcess.exe`
	perHour := 12
	for h := 0; h < g.opt.Hours; h++ {
		hour := g.opt.Start.Add(time.Duration(h) * time.Hour)
		for i := 0; i < perHour; i++ {
			t := hour.Add(time.Duration(i)*time.Hour/time.Duration(perHour) + time.Duration(g.rng.Intn(200))*time.Second)
			at(t, sec, logon(t, host, g.opt.HostName))
			at(t.Add(time.Second), sys, serviceState(t.Add(time.Second), host, []string{"Windows Update", "Microsoft Exchange Health Manager", "WinHTTP Web Proxy Auto-Discovery Service"}[i%3], i%2 == 0))
			at(t.Add(2*time.Second), app, adAccessInfo(t.Add(2*time.Second), host))
		}
		// Managed Availability's probes set and read virtual directories
		// every hour with ordinary URLs.
		at(hour.Add(17*time.Minute), mgmt, evtxwrite.CmdletLog(hour.Add(17*time.Minute), host, "Get-OabVirtualDirectory", "-Server '"+g.opt.HostName+"' -ADPropertiesOnly $true", "NT AUTHORITY/SYSTEM", "S-1-5-18"))
		hm := evtxwrite.CmdletLog(hour.Add(18*time.Minute), host, "Set-OwaVirtualDirectory", "-Identity '"+g.opt.HostName+"\\owa (Default Web Site)' -InternalUrl 'https://"+strings.ToLower(host)+"/owa'", "NT AUTHORITY/SYSTEM", "S-1-5-18")
		hm.Data[0].Value.([]string)[6] = "6216 MSExchangeHMWorker"
		at(hour.Add(18*time.Minute), mgmt, hm)
		at(hour.Add(31*time.Minute), defender, defenderStatus(hour.Add(31*time.Minute), host))
	}

	// Look-alikes, once: ASP.NET compiling a page and the console host
	// under w3wp.exe, a crash report under the UM worker, an
	// administrator's cmd, UM errors that are not the exploit's.
	q := g.opt.Start.Add(3*time.Hour + 5*time.Minute)
	at(q, sec, evtxwrite.ProcessCreation(q, host, w3wp, `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\csc.exe`,
		`"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\csc.exe" /t:library /utf8output /nostdlib+ @"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\owa\5d7a1f3b\ab12cd34\x1y2z3.cmdline"`))
	at(q.Add(time.Second), sec, evtxwrite.ProcessCreation(q.Add(time.Second), host, w3wp, `C:\Windows\System32\conhost.exe`, `\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1`))
	at(q.Add(time.Minute), sec, evtxwrite.ProcessCreation(q.Add(time.Minute), host, um, `C:\Windows\System32\WerFault.exe`, `C:\Windows\system32\WerFault.exe -u -p 7312 -s 2144`))
	at(q.Add(2*time.Minute), sec, evtxwrite.ProcessCreation(q.Add(2*time.Minute), host, `C:\Windows\explorer.exe`, `C:\Windows\System32\cmd.exe`, `"C:\Windows\system32\cmd.exe" /c ipconfig /all`))
	at(q.Add(3*time.Minute), app, umError(q.Add(3*time.Minute), host, "The Unified Messaging service could not find a valid certificate for TLS.", ""))
	at(q.Add(4*time.Minute), app, umError(q.Add(4*time.Minute), host, "UMWorkerProcess", "System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown."))

	if in := g.incident; in != nil {
		var use *request
		for _, r := range in.requests {
			if r.stages&stageShellUse != 0 && (use == nil || r.at.Before(use.at)) {
				use = r
			}
		}
		if use != nil {
			cmd := `cmd /c cd /d "C:\inetpub\wwwroot\aspnet_client\"&whoami&echo [S]&cd&echo [E]`
			at(use.at, sec, evtxwrite.ProcessCreation(use.at, host, w3wp, `C:\Windows\System32\cmd.exe`, cmd),
				Expect{Rule: "evtx-webserver-shell", Severity: finding.Critical, Why: "w3wp.exe started cmd.exe for the web shell's first command"},
				Expect{Rule: "evtx-chopper-command", Severity: finding.Critical, Why: "China Chopper's command wrapping"})
			shell := use.shell
			if vol, rel := g.volumeOf(shell); vol != "" {
				shell = vol + `:\` + strings.ReplaceAll(rel, "/", `\`)
			}
			at(use.at, defender, evtxwrite.DefenderDetection(use.at, host, 1116, "Backdoor:ASP/Chopper.F!dha", shell),
				Expect{Rule: "evtx-defender-detection", Severity: finding.Critical, Why: "Defender named the planted shell China Chopper"})
			at(use.at, app, evtxwrite.UMInvalidCast(use.at, host),
				Expect{Rule: "evtx-um-deserialization", Severity: finding.High, Why: "the Unified Messaging deserialization error of CVE-2021-26857"})
		}
		set := attackDay.Add(6*time.Hour + 49*time.Minute + 53*time.Second)
		if !set.Before(g.opt.Start) && set.Before(g.opt.Start.Add(time.Duration(g.opt.Hours)*time.Hour)) {
			e := evtxwrite.SetOabVirtualDirectoryWebShell(set, host, "http://f/"+reveal(chopperPayload))
			at(set, mgmt, e, Expect{Rule: "evtx-cmdlet-vdir-script", Severity: finding.Critical, Why: "Set-OabVirtualDirectory with script in ExternalUrl, run through ECP"})
		}
	}

	// Events go into their logs in time order (those of one moment in the
	// order they were planned).
	slices.SortStableFunc(all, func(a, b timed) int { return a.at.Compare(b.at) })
	for _, t := range all {
		t.log.add(t.e, t.finds)
	}
	for _, l := range []*eventLog{app, sec, sys, mgmt, defender} {
		for i := range l.events {
			l.events[i].RecordID = uint64(firstRecordID + i)
		}
		var buf bytes.Buffer
		if err := evtxwrite.Write(&buf, l.events); err != nil {
			return fmt.Errorf("testserver: %s: %w", l.name, err)
		}
		if err := g.writeFile(eventLogDir+l.name, buf.Bytes(), l.events[len(l.events)-1].Time); err != nil {
			return err
		}
		g.man.LogFiles++
		g.man.LogBytes += int64(buf.Len())
		g.man.EventLogFiles++
		g.man.EventLogBytes += int64(buf.Len())
		g.man.Expected = append(g.man.Expected, l.expect...)
	}
	return nil
}

func logon(t time.Time, host, name string) evtxwrite.Event {
	return evtxwrite.Event{Time: t, Provider: "Microsoft-Windows-Security-Auditing", ProviderGUID: "{54849625-5478-4994-A5BA-3E3B0328C30D}",
		EventID: 4624, Version: 2, Task: 12544, Keywords: 0x8020000000000000, ProcessID: 612, ThreadID: 3404, Channel: "Security", Computer: host,
		Data: []evtxwrite.Data{
			{Name: "SubjectUserSid", Value: evtxwrite.SID("S-1-5-18")},
			{Name: "SubjectUserName", Value: name + "$"},
			{Name: "TargetUserName", Value: "HealthMailbox0b4d1e2"},
			{Name: "TargetDomainName", Value: "CONTOSO"},
			{Name: "LogonType", Value: uint32(3)},
			{Name: "IpAddress", Value: "10.0.0.12"},
		}}
}

func serviceState(t time.Time, host, service string, running bool) evtxwrite.Event {
	state := "stopped"
	if running {
		state = "running"
	}
	return evtxwrite.Event{Time: t, Provider: "Service Control Manager", ProviderGUID: "{555908d1-a6d7-4695-8e1e-26931d2012f4}",
		EventSourceName: "Service Control Manager", EventID: 7036, Qualifiers: 16384, Level: 4, Keywords: 0x8080000000000000,
		ProcessID: 640, ThreadID: 2212, Channel: "System", Computer: host,
		Data: []evtxwrite.Data{{Name: "param1", Value: service}, {Name: "param2", Value: state}}}
}

func adAccessInfo(t time.Time, host string) evtxwrite.Event {
	return evtxwrite.Event{Time: t, Provider: "MSExchange ADAccess", EventID: 2080, Qualifiers: 16388, Level: 4, Task: 1,
		Keywords: 0x80000000000000, Channel: "Application", Computer: host, Classic: true,
		Data: []evtxwrite.Data{{Value: []string{"w3wp.exe", "8472", "DC01.contoso.local\tCDG 1 7 7 1 0 1 1 7 1"}}}}
}

func umError(t time.Time, host, text, exception string) evtxwrite.Event {
	values := []string{text}
	if exception != "" {
		values = append(values, exception)
	}
	return evtxwrite.Event{Time: t, Provider: "MSExchange Unified Messaging", EventID: 1040, Qualifiers: 49156, Level: 2, Task: 1,
		Keywords: 0x80000000000000, Channel: "Application", Computer: host, Classic: true,
		Data: []evtxwrite.Data{{Value: values}}}
}

// defenderStatus is Defender's hourly health report (1150: the platform is
// running), which no check reads.
func defenderStatus(t time.Time, host string) evtxwrite.Event {
	return evtxwrite.Event{Time: t, Provider: "Microsoft-Windows-Windows Defender", ProviderGUID: "{11cd958a-c507-4ef3-b3f2-5fd9dfbd2c78}",
		EventID: 1150, Level: 4, Keywords: 0x8000000000000000, ProcessID: 3332, ThreadID: 4432,
		Channel: "Microsoft-Windows-Windows Defender/Operational", Computer: host, UserSID: "S-1-5-18",
		Data: []evtxwrite.Data{{Name: "Product Name", Value: "%%827"}, {Name: "Platform version", Value: "4.18.2102.4"}, {Name: "Engine version", Value: "1.1.17900.7"}}}
}

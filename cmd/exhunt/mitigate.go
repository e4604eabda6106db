package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/exhunt/exhunt/mitigations"
	"github.com/exhunt/exhunt/result"
)

func runMitigate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mitigate", flag.ContinueOnError)
	script := fs.Bool("script", false, "print the PowerShell script (exhunt itself never changes a server)")
	rollback := fs.Bool("rollback", false, "the script removes the mitigations instead (once the server is patched)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: exhunt mitigate --script [--rollback] > mitigate.ps1\n\n"+
			"Prints a PowerShell script that applies Microsoft's temporary mitigations of\n"+
			"March 2021 (URL Rewrite rules against CVE-2021-26855, Unified Messaging\n"+
			"disabled, ECP and OAB application pools stopped), or removes them with\n"+
			"--rollback, for an administrator to review and run on the server. The\n"+
			"mitigations block the known exploits, not the vulnerabilities: install the\n"+
			"security update.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if !*script || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "exhunt mitigate: exhunt never changes a server; give --script to print the script to review and run\n")
		return result.ExitFailed
	}
	fmt.Fprint(stdout, mitigations.Script(*rollback, versionString()))
	return result.ExitClean
}

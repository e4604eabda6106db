package mitigations

import (
	"strings"
	"testing"
)

// scanPowerShell checks what can be checked of PowerShell without
// PowerShell (it is not installable here): every string literal and block
// comment closes, brackets balance outside them, and no line holds a
// double-quoted string with a subexpression $( ), which could run code
// built from data.
func scanPowerShell(t *testing.T, script string) (singleQuoted []string) {
	t.Helper()
	var stack []byte
	pairs := map[byte]byte{')': '(', ']': '[', '}': '{'}
	line := 1
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case c == '\n':
			line++
		case c == '<' && i+1 < len(script) && script[i+1] == '#':
			end := strings.Index(script[i+2:], "#>")
			if end < 0 {
				t.Fatalf("line %d: block comment never closes", line)
			}
			line += strings.Count(script[i:i+2+end], "\n")
			i += end + 3
		case c == '#':
			for i < len(script) && script[i] != '\n' {
				i++
			}
			line++
		case c == '\'':
			j := i + 1
			var lit strings.Builder
			for {
				if j >= len(script) || script[j] == '\n' {
					t.Fatalf("line %d: single-quoted string does not close", line)
				}
				if script[j] == '\'' {
					if j+1 < len(script) && script[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(script[j])
				j++
			}
			singleQuoted = append(singleQuoted, lit.String())
			i = j
		case c == '"':
			j := i + 1
			for j < len(script) && script[j] != '"' {
				if script[j] == '\n' {
					t.Fatalf("line %d: double-quoted string does not close", line)
				}
				if script[j] == '$' && j+1 < len(script) && script[j+1] == '(' {
					t.Errorf("line %d: subexpression in a double-quoted string", line)
				}
				j++
			}
			if j >= len(script) {
				t.Fatalf("line %d: double-quoted string does not close", line)
			}
			i = j
		case c == '(' || c == '[' || c == '{':
			stack = append(stack, c)
		case c == ')' || c == ']' || c == '}':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[c] {
				t.Fatalf("line %d: %q does not close an open bracket", line, c)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		t.Fatalf("brackets left open: %q", stack)
	}
	return singleQuoted
}

func TestApplyScript(t *testing.T) {
	s := Script(false, "test")
	lits := strings.Join(scanPowerShell(t, s), "\n")
	// Exactly the names the scan recognises.
	for _, want := range append(append(append([]string{ECPAppPool, OABAppPool}, RewriteRules...), UMServices...), HealthServices...) {
		if !strings.Contains(lits, want) {
			t.Errorf("the script does not name %q", want)
		}
	}
	for _, want := range []string{"#Requires -Version 3", "SupportsShouldProcess", "Administrator", "AbortRequest", "{HTTP_COOKIE}",
		"(.*)X-BEResource=(.+)/(.+)~(.+)", "-StartupType Disabled", "autoStart -Value $false", "install the security update"} {
		if !strings.Contains(s, want) {
			t.Errorf("the script lacks %q", want)
		}
	}
	// Each change asks ShouldProcess (so -WhatIf shows it).
	for _, cmd := range []string{"Add-WebConfigurationProperty", "Set-Service", "Set-ItemProperty", "Stop-WebAppPool"} {
		if !strings.Contains(s, cmd) {
			t.Errorf("no %s", cmd)
		}
	}
	if n := strings.Count(s, "ShouldProcess("); n < 4 {
		t.Errorf("only %d ShouldProcess calls", n)
	}
	// It never downloads anything.
	for _, bad := range []string{"Invoke-WebRequest", "DownloadFile", "http://", "https://", "Start-BitsTransfer"} {
		if strings.Contains(s, bad) {
			t.Errorf("the script contains %q", bad)
		}
	}
}

func TestRollbackScript(t *testing.T) {
	s := Script(true, "test")
	lits := strings.Join(scanPowerShell(t, s), "\n")
	for _, want := range append(append([]string{ECPAppPool, OABAppPool}, RewriteRules...), UMServices...) {
		if !strings.Contains(lits, want) {
			t.Errorf("the rollback does not name %q", want)
		}
	}
	for _, want := range []string{"Clear-WebConfiguration", "-StartupType Automatic", "autoStart -Value $true", "Start-WebAppPool"} {
		if !strings.Contains(s, want) {
			t.Errorf("the rollback lacks %q", want)
		}
	}
	if strings.Contains(s, "Add-WebConfigurationProperty") || strings.Contains(s, "-StartupType Disabled") {
		t.Error("the rollback applies mitigations")
	}
}

// TestScanPowerShellCatchesMistakes: the checker itself fails on broken
// scripts.
func TestScanPowerShellCatchesMistakes(t *testing.T) {
	for _, bad := range []string{"if ($a) { 'x' ", "Write-Host 'unclosed\n'", "$a = \"x$(Get-Date)\"", "<# never closed", "foo)"} {
		ft := &testing.T{}
		done := make(chan bool)
		go func() {
			defer func() { recover(); done <- true }()
			scanPowerShell(ft, bad)
		}()
		<-done
		if !ft.Failed() {
			t.Errorf("%q passed the checker", bad)
		}
	}
	if q := psQuote("it's"); q != "'it''s'" {
		t.Errorf("psQuote = %s", q)
	}
}

// Package syntax implements the YARA rule language: lexer, parser and an
// abstract syntax tree with positions.
//
// Parse turns the text of a rules file into a *File. It never panics on
// hostile input, bounds its recursion (expression nesting, loop nesting and
// include depth), and reports the first problem as an *Error whose text is
// "file:line: message". Besides syntax it performs the checks YARA's compiler
// makes without knowing module schemas or types: undefined and unreferenced
// strings, duplicated rules, strings, tags, modifiers and loop variables,
// references to rules defined later, wildcards that match nothing, invalid
// modifier combinations, unknown modules and misuse of anonymous strings.
//
// Hex strings and regular expressions are kept as raw text for the packages
// yara/hex and yara/re; the lexer checks only their outline.
package syntax

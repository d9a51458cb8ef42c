package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// fwError is an error as firewall-cmd reports it: Text ("CODE: detail") goes
// after "Error: " or "Warning: ", and the code's number is the exit status.
// Every error reaching the output is turned into one by asFWError.
type fwError struct {
	Code richrule.Code
	Text string
}

func (e *fwError) Error() string { return e.Text }

// newError is an error with a code and firewalld's "CODE: detail" text.
func newError(code richrule.Code, format string, args ...any) *fwError {
	return &fwError{Code: code, Text: code.Name() + ": " + fmt.Sprintf(format, args...)}
}

// unknownError is an unexpected failure; firewall-cmd prints those as they
// are, without a code in front, and exits with UNKNOWN_ERROR.
func unknownError(format string, args ...any) *fwError {
	return &fwError{Code: richrule.UnknownError, Text: fmt.Sprintf(format, args...)}
}

// errorFromText is an error whose text came from a daemon: like firewalld's
// FirewallError.get_code, the code is what precedes the first colon, and
// text without a known code is UNKNOWN_ERROR, printed as it is.
func errorFromText(text string) *fwError {
	name, _, _ := strings.Cut(text, ":")
	code, ok := richrule.CodeByName(name)
	if !ok {
		code = richrule.UnknownError
	}
	return &fwError{Code: code, Text: text}
}

// asFWError gives any error a code: a richrule error keeps its own (and its
// text, which starts with firewalld's "CODE: detail"); anything else
// unexpected is UNKNOWN_ERROR, as firewall-cmd reports an exception.
func asFWError(err error) *fwError {
	var fe *fwError
	if errors.As(err, &fe) {
		return fe
	}
	var re *richrule.Error
	if errors.As(err, &re) {
		return &fwError{Code: re.Code, Text: re.Error()}
	}
	return &fwError{Code: richrule.UnknownError, Text: err.Error()}
}

// warningOnly are the codes firewall-cmd reports as a warning, still
// succeeding: the change asked for is already the state.
func warningOnly(c richrule.Code) bool {
	switch c {
	case richrule.AlreadyEnabled, richrule.NotEnabled, richrule.ZoneAlreadySet, richrule.AlreadySet:
		return true
	}
	return false
}

// authFailedText is firewall-cmd's message for NOT_AUTHORIZED.
const authFailedText = "Authorization failed.\n    Make sure polkit agent is running or run the application as superuser."

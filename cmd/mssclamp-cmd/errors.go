package main

import (
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// coded is an error with code whose whole text ("CODE: detail", or what
// firewalld printed) is text, as firewall-cmd prints it after "Error: ".
func coded(code firewalld.Code, text string) *firewalld.Error {
	return &firewalld.Error{Code: code, Msg: text, Bare: true}
}

// warningOnly are the codes firewall-cmd reports as a warning, still
// succeeding: the change asked for is already the state.
func warningOnly(c firewalld.Code) bool {
	switch c {
	case firewalld.AlreadyEnabled, firewalld.NotEnabled, firewalld.ZoneAlreadySet, firewalld.AlreadySet:
		return true
	}
	return false
}

// authFailedText is firewall-cmd's message for NOT_AUTHORIZED.
const authFailedText = "Authorization failed.\n    Make sure polkit agent is running or run the application as superuser."

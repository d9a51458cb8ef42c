// Package maketest tests the build itself: what the Makefile and scripts/ do to the machine
// they run on. `make build` needs only Go and must not install anything system-wide (it is
// run in a copy of the tree with apt and dpkg replaced by recorders); scripts/deps.sh installs
// the test and demo dependencies under a policy-rc.d that forbids starting services and undoes
// any enabling a package does (run in a private mount namespace, as root, against recorders).
// The package has no code of its own.
package maketest

// Package testutil holds what the tests of every package share: the -update
// flag and golden files, and the error check of table tests. Only tests
// import it.
package testutil

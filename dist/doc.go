// Package dist holds no code: the directory holds what is installed besides
// the binaries (the systemd unit, the D-Bus policy and activation file, man
// pages and their sources, shell completions, the example configuration and
// /etc/default/mssclampd), and this package's tests check them as installed
// by `make install` and by the packages `make package` writes: lintian and
// rpm on the packages, and a real dpkg install and purge (as root).
package dist

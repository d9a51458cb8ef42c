package nft

import (
	"path/filepath"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
)

// goldenDir holds this package's golden files, shared with the rest of the
// project's test data.
const goldenDir = "../../testdata/nft"

// golden compares got with the golden file name (under testdata/nft).
func golden(t *testing.T, name, got string) {
	t.Helper()
	testutil.Golden(t, filepath.Join(goldenDir, name), got)
}

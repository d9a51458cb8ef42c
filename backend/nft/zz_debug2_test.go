package nft

import (
	"os"
	"testing"
)

func TestZZWriteScale(t *testing.T) {
	os.WriteFile("/tmp/scale.nft", []byte(Render(rulesetScale(100, 100, 0))), 0o644)
}

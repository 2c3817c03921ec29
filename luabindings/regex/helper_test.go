package regex

import (
	"testing"

	"github.com/goresty/goresty/luabindings/luatest"
)

func runLua(t *testing.T, code string) string { t.Helper(); return luatest.Run(t, code) }
func expect(t *testing.T, code, want string)  { t.Helper(); luatest.Expect(t, code, want) }

package smtp

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/events/testenv"
	"github.com/goresty/goresty/luabindings"
)

func TestSendFromLua(t *testing.T) {
	srv := testenv.StartSMTP(t)
	host, port, _ := net.SplitHostPort(srv.Addr)
	vm := luabindings.NewVM(0, 1, t.TempDir(), nil)
	defer vm.Close()
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseTimer}
	err := vm.DoString(c, "t", `local smtp = require "goresty.smtp"
		local ok, err = smtp.send{host = "`+host+`", port = `+port+`, from = "app@example.com",
			to = {"ann@example.com", "bob@example.com"}, subject = "Welcome, Ann ✓",
			body = "Hi Ann,\n.hidden dot line\nbye", headers = {["X-Event-Id"] = 42}}
		assert(ok == true, tostring(err))
		local ok, err = smtp.send{host = "`+host+`", port = `+port+`, from = "a@b", to = "x@y", subject = "a\r\nBcc: evil@x"}
		assert(ok == nil and err:find("line break"), tostring(err))
		local ok, err = smtp.send{host = "127.0.0.1", port = 1, from = "a@b", to = "x@y", timeout = 500}
		assert(ok == nil and err, "connection refused must fail")`)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-srv.Mail:
		if m.From != "app@example.com" || strings.Join(m.To, ",") != "ann@example.com,bob@example.com" {
			t.Fatalf("%+v", m)
		}
		for _, want := range []string{"Subject: =?utf-8?q?Welcome,_Ann_=E2=9C=93?=\r\n", "To: ann@example.com, bob@example.com\r\n",
			"X-Event-Id: 42\r\n", "\r\n\r\nHi Ann,\r\n.hidden dot line\r\nbye\r\n"} {
			if !strings.Contains(m.Data, want) {
				t.Errorf("missing %q in\n%s", want, m.Data)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no mail")
	}
	select {
	case m := <-srv.Mail:
		t.Fatalf("injected mail sent: %+v", m)
	default:
	}
}

func TestPhase(t *testing.T) {
	vm := luabindings.NewVM(0, 1, t.TempDir(), nil)
	defer vm.Close()
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseLog}
	err := vm.DoString(c, "t", `require("goresty.smtp").send{host="x", from="a", to="b"}`)
	if err == nil || !strings.Contains(err.Error(), "API disabled in the context of log_by_lua*") {
		t.Fatal(err)
	}
}

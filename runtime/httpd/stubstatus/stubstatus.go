// Package stubstatus is ngx_http_stub_status_module: the connection
// counters as a text page and as $connections_* variables.
package stubstatus

import (
	"strconv"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

// Module is the stub_status module.
var Module = &httpd.Module{
	Name: "stub_status",
	Commands: []httpd.Command{
		httpd.Directive(setStubStatus, conf.Spec{Name: "stub_status", Ctx: conf.Server | conf.Location, Args: conf.NoArgs | conf.Take1}),
	},
	Variables: []httpd.Variable{
		{Name: "connections_active", Get: func(r *httpd.Request) (string, bool) { return itoa(r.ConnStats().Active), true }},
		{Name: "connections_reading", Get: func(r *httpd.Request) (string, bool) { return itoa(r.ConnStats().Reading), true }},
		{Name: "connections_writing", Get: func(r *httpd.Request) (string, bool) { return itoa(r.ConnStats().Writing), true }},
		{Name: "connections_waiting", Get: func(r *httpd.Request) (string, bool) { return itoa(r.ConnStats().Waiting), true }},
	},
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func setStubStatus(b *httpd.Builder, d *conf.Directive) error {
	b.SetContentHandler(content{})
	return nil
}

// content is ngx_http_stub_status_handler.
type content struct{}

func (content) Content(r *httpd.Request) httpd.Status {
	if m := r.Method(); m != "GET" && m != "HEAD" {
		r.Finalize(405)
		return httpd.Done
	}
	r.DiscardBody()
	s := r.ConnStats()
	b := make([]byte, 0, 128)
	b = append(b, "Active connections: "...)
	b = strconv.AppendInt(b, s.Active, 10)
	b = append(b, " \nserver accepts handled requests\n "...)
	b = strconv.AppendInt(b, s.Accepted, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, s.Handled, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, s.Requests, 10)
	b = append(b, " \nReading: "...)
	b = strconv.AppendInt(b, s.Reading, 10)
	b = append(b, " Writing: "...)
	b = strconv.AppendInt(b, s.Writing, 10)
	b = append(b, " Waiting: "...)
	b = strconv.AppendInt(b, s.Waiting, 10)
	b = append(b, " \n"...)
	r.Send(200, "text/plain", b)
	return httpd.Done
}

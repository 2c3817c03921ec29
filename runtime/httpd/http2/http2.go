// Package http2 is ngx_http_v2_module's directives. "listen ... http2"
// itself is the core's (runtime/httpd/h2.go): golang.org/x/net/http2
// serves such an address. The settings a client sees are the default
// server's http2_max_concurrent_streams (SETTINGS_MAX_CONCURRENT_STREAMS)
// and http2_body_preread_size (the streams' initial window); the header
// size limit is large_client_header_buffers and the idle timeout
// keepalive_timeout, as in nginx 1.22.
package http2

import (
	"fmt"
	"math"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

const (
	hS  = conf.HTTP | conf.Server
	hSL = conf.HTTP | conf.Server | conf.Location
)

// Module is the http2 module (its table is filled in by init: the
// handlers refer to Module for their settings).
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "http2",
		Commands: []httpd.Command{
			httpd.Directive(setMaxConcurrentStreams, conf.Spec{Name: "http2_max_concurrent_streams", Ctx: hS, Args: conf.Take1}),
			httpd.Directive(setBodyPrereadSize, conf.Spec{Name: "http2_body_preread_size", Ctx: hS, Args: conf.Take1}),
			// obsolete since nginx 1.19.7: a warning, no effect
			httpd.Directive(obsolete("large_client_header_buffers"), conf.Spec{Name: "http2_max_field_size", Ctx: hS, Args: conf.Take1}),
			httpd.Directive(obsolete("large_client_header_buffers"), conf.Spec{Name: "http2_max_header_size", Ctx: hS, Args: conf.Take1}),
			httpd.Directive(obsolete("client_header_timeout"), conf.Spec{Name: "http2_recv_timeout", Ctx: hS, Args: conf.Take1}),
			httpd.Directive(obsolete("keepalive_timeout"), conf.Spec{Name: "http2_idle_timeout", Ctx: hS, Args: conf.Take1}),
			httpd.Directive(obsolete("keepalive_requests"), conf.Spec{Name: "http2_max_requests", Ctx: hS, Args: conf.Take1}),
		},
		Accepted: []conf.Spec{
			// how nginx frames and buffers; x/net/http2 decides that
			{Name: "http2_chunk_size", Ctx: hSL, Args: conf.Take1},
			{Name: "http2_recv_buffer_size", Ctx: conf.HTTP, Args: conf.Take1},
			{Name: "http2_pool_size", Ctx: hS, Args: conf.Take1},
			{Name: "http2_streams_index_size", Ctx: hS, Args: conf.Take1},
			// no server push: clients get the resources when they ask
			{Name: "http2_push", Ctx: hSL, Args: conf.Take1},
			{Name: "http2_push_preload", Ctx: hSL, Args: conf.Flag},
			{Name: "http2_max_concurrent_pushes", Ctx: hS, Args: conf.Take1},
		},
		CreateLocConf: func() any { return &srvConf{maxStreams: -1, preread: -1} },
		MergeLocConf:  mergeConf,
		Configured:    configured,
	}
}

// srvConf is the http2 settings of a level (http or server).
type srvConf struct {
	maxStreams int64
	preread    int64
}

func mergeConf(parent, child any) {
	p, c := parent.(*srvConf), child.(*srvConf)
	httpd.MergeValue(&c.maxStreams, p.maxStreams, 128)
	httpd.MergeValue(&c.preread, p.preread, 65536)
}

func setMaxConcurrentStreams(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*srvConf)
	if c.maxStreams != -1 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	n, err := b.Atoi(d, d.Args[0])
	if err != nil {
		return err
	}
	c.maxStreams = int64(min(n, math.MaxUint32))
	return nil
}

func setBodyPrereadSize(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*srvConf)
	if c.preread != -1 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	n, err := conf.ParseSize(d.Args[0])
	if err != nil {
		return conf.Errorf(d, "\"%s\" directive invalid value", d.Name)
	}
	if n > math.MaxInt32 { // NGX_HTTP_V2_MAX_WINDOW
		return conf.Errorf(d, "the http2 body preread buffer size is too large")
	}
	c.preread = n
	return nil
}

func obsolete(instead string) func(*httpd.Builder, *conf.Directive) error {
	return func(b *httpd.Builder, d *conf.Directive) error {
		b.Warnf(d, "%s", fmt.Sprintf("the \"%s\" directive is obsolete, use the \"%s\" directive instead", d.Name, instead))
		return nil
	}
}

func configured(rt *httpd.Runtime) error {
	rt.SetHTTP2(func(def *httpd.Server) httpd.HTTP2Options {
		c := Module.Conf(def.Loc()).(*srvConf)
		return httpd.HTTP2Options{MaxConcurrentStreams: uint32(c.maxStreams), BodyPrereadSize: int32(c.preread)}
	})
	return nil
}

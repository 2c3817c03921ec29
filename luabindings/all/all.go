// Package all installs every built-in binding: import it for its side
// effects wherever Lua VMs are made (the HTTP runtime, the queue worker).
package all

import (
	_ "github.com/goresty/goresty/luabindings/amqp"
	_ "github.com/goresty/goresty/luabindings/cjson"
	_ "github.com/goresty/goresty/luabindings/compat"
	_ "github.com/goresty/goresty/luabindings/ffi"
	_ "github.com/goresty/goresty/luabindings/lrucache"
	_ "github.com/goresty/goresty/luabindings/ngxhttp"
	_ "github.com/goresty/goresty/luabindings/ngxssl"
	_ "github.com/goresty/goresty/luabindings/ngxstring"
	_ "github.com/goresty/goresty/luabindings/prometheus"
	_ "github.com/goresty/goresty/luabindings/regex"
	_ "github.com/goresty/goresty/luabindings/resty"
	_ "github.com/goresty/goresty/luabindings/restyhttp"
	_ "github.com/goresty/goresty/luabindings/restylimit"
	_ "github.com/goresty/goresty/luabindings/restylock"
	_ "github.com/goresty/goresty/luabindings/semaphore"
	_ "github.com/goresty/goresty/luabindings/shdict"
	_ "github.com/goresty/goresty/luabindings/smtp"
	_ "github.com/goresty/goresty/luabindings/socket"
)

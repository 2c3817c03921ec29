package all

import (
	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/amqp"
	"github.com/goresty/goresty/luabindings/compat"
	"github.com/goresty/goresty/luabindings/ngxhttp"
	"github.com/goresty/goresty/luabindings/regex"
	"github.com/goresty/goresty/luabindings/shdict"
	"github.com/goresty/goresty/luabindings/socket"
	"github.com/goresty/goresty/runtime/httpd"

	// the http modules, registered in nginx's order
	_ "github.com/goresty/goresty/runtime/httpd/modules"
)

// The directives of a loaded configuration reach the bindings through the
// runtime's hooks: shared dict zones before any VM exists, per-VM settings
// when a VM is made, cosocket cleanup when a request ends.
func init() {
	httpd.BeforeVMs = append(httpd.BeforeVMs, func(rt *httpd.Runtime) error {
		shdict.Configure(rt.SharedDicts())
		if n := rt.LuaSettings().RegexCacheMax(); n > 0 {
			regex.SetCacheMaxEntries(n)
		}
		regex.SetMatchLimit(rt.LuaSettings().RegexMatchLimit())
		if u, n := rt.AMQP(); u != "" {
			amqp.Configure(u, n)
		}
		return nil
	})
	// a rejected configuration made its zones and regex cache size the
	// process's: the served configuration's come back
	var servedZones map[string]*shdict.Zone
	var servedRegex, servedMatchLimit int
	httpd.OnServe = append(httpd.OnServe, func(rt *httpd.Runtime) {
		servedZones, servedRegex = shdict.Snapshot(), rt.LuaSettings().RegexCacheMax()
		servedMatchLimit = rt.LuaSettings().RegexMatchLimit()
	})
	httpd.OnReload = append(httpd.OnReload, func(err error) {
		if err != nil && servedZones != nil {
			shdict.Restore(servedZones)
			if servedRegex > 0 {
				regex.SetCacheMaxEntries(servedRegex)
			}
			regex.SetMatchLimit(servedMatchLimit)
		}
	})
	httpd.OnRequestEnd = append(httpd.OnRequestEnd, socket.CloseAll)
	httpd.OnVM = append(httpd.OnVM, func(rt *httpd.Runtime, vm *luabindings.VM) {
		if l := rt.ErrorLog(); l != nil {
			vm.Services[ngxhttp.ErrlogLevelKey] = l.Level()
		}
		if rt.SingleProcess() {
			vm.Services[compat.ServiceProcessType] = "single"
		}
		s := rt.LuaSettings()
		vm.Services[ngxhttp.TimerLimitsKey] = [2]int{s.MaxPendingTimers(), s.MaxRunningTimers()}
		vm.Services[ngxhttp.ThreadPoolsKey] = rt.ThreadPools()
		vm.Services[ngxhttp.WorkerThreadVMsKey] = s.WorkerThreadVMs()
		cfg := *socket.ConfigOf(vm)
		s.ApplySocket(&cfg.ConnectTimeout, &cfg.SendTimeout, &cfg.ReadTimeout, &cfg.KeepaliveTimeout, &cfg.PoolSize)
		cfg.BufferSize, cfg.LogErrors = s.SocketBufferSize(), s.SocketLogErrors()
		if l := rt.ErrorLog(); l != nil {
			cfg.Debug = l.Level() >= luabindings.LogDebug
			cfg.BgLog = func(level int, msg string) { l.Write(level, 0, msg) }
		}
		if r := rt.Resolver(); r != nil {
			cfg.DNS = r
		}
		if roots, lo, hi := s.SSLClient(); roots != nil || lo != 0 {
			if roots != nil {
				cfg.RootCAs = roots
			}
			cfg.MinVersion, cfg.MaxVersion = lo, hi
		}
		vm.Services[socket.ServiceKey] = &cfg
	})
}

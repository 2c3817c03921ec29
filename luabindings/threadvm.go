package luabindings

import (
	"sync"
	"sync/atomic"
)

// ThreadPool is one of nginx's thread_pool: Threads goroutines at most
// run its tasks at a time, and at most MaxQueue tasks wait for one of
// them (ngx_thread_task_post refuses more).
type ThreadPool struct {
	Name              string
	Threads, MaxQueue int
	sem               chan struct{}
	waiting           atomic.Int64
}

// NewThreadPool makes the pool of thread_pool name threads=threads
// max_queue=maxQueue.
func NewThreadPool(name string, threads, maxQueue int) *ThreadPool {
	if threads < 1 {
		threads = 1
	}
	return &ThreadPool{Name: name, Threads: threads, MaxQueue: maxQueue, sem: make(chan struct{}, threads)}
}

// Post queues task for the next free thread of the pool. It returns the
// number of waiting tasks and false when the queue is full (the task is
// dropped then).
func (p *ThreadPool) Post(task func()) (int64, bool) {
	if n := p.waiting.Add(1); n > int64(p.MaxQueue) {
		p.waiting.Add(-1)
		return n - 1, false
	}
	go func() {
		p.sem <- struct{}{}
		p.waiting.Add(-1)
		defer func() { <-p.sem }()
		task()
	}()
	return 0, true
}

// ThreadVMPool holds the Lua states that ngx.run_worker_thread runs its
// tasks in (lua_worker_thread_vm_pool_size): separate from the worker's
// VM, made on demand up to Size, reused afterwards, most recent first.
type ThreadVMPool struct {
	Size  int
	mu    sync.Mutex
	count int
	free  []*VM
}

// NewThreadVMPool makes an empty pool of at most size VMs.
func NewThreadVMPool(size int) *ThreadVMPool { return &ThreadVMPool{Size: size} }

// Get takes a free VM, making one with newVM while fewer than Size exist.
// It returns nil when every VM is in use (or newVM failed; a failed VM
// does not count against Size).
func (p *ThreadVMPool) Get(newVM func() *VM) *VM {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		vm := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return vm
	}
	if p.count >= p.Size {
		p.mu.Unlock()
		return nil
	}
	p.count++
	p.mu.Unlock()
	vm := newVM()
	if vm == nil {
		p.mu.Lock()
		p.count--
		p.mu.Unlock()
	}
	return vm
}

// Put gives back a VM taken with Get, its stack emptied.
func (p *ThreadVMPool) Put(vm *VM) {
	vm.L.SetTop(0)
	p.mu.Lock()
	p.free = append(p.free, vm)
	p.mu.Unlock()
}

// InUse is the number of VMs made and not given back.
func (p *ThreadVMPool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count - len(p.free)
}

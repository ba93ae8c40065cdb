// Package chdb runs SQL on a current ClickHouse embedded in the test process:
// chdb's libchdb.so, loaded with dlopen at run time, so that building netlens
// never needs it. Tests use it to check that the SQL netlens sends to
// ClickHouse servers is accepted by current releases as well as by the
// oldest one the tests start (Debian's 18.16).
//
// fetch.sh installs the library pinned in package.json into node_modules/
// (make test runs it); Path finds it there.
//
// Only tests import chdb; it imports nothing of netlens.
package chdb

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

// The few entry points of chdb's C API (chdb.h) that Session uses. The
// handles are opaque pointers.
typedef void *chdb_conn_t;
typedef void *chdb_result_t;

typedef struct {
	void *lib;
	chdb_conn_t *(*connect)(int, char **);
	void (*close_conn)(chdb_conn_t *);
	chdb_result_t (*query_n)(chdb_conn_t, const char *, size_t, const char *, size_t);
	char *(*result_buffer)(chdb_result_t);
	size_t (*result_length)(chdb_result_t);
	const char *(*result_error)(chdb_result_t);
	void (*destroy_result)(chdb_result_t);
	void (*set_signal_handlers_enabled)(int);
} chdb_api;

// chdb_load opens the library at path and finds its entry points; it
// returns NULL, or what went wrong.
static const char *chdb_load(const char *path, chdb_api *api) {
	api->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (api->lib == NULL) {
		return dlerror();
	}
#define CHDB_SYM(field, name) \
	*(void **)(&api->field) = dlsym(api->lib, name); \
	if (api->field == NULL) return "libchdb has no " name;
	CHDB_SYM(connect, "chdb_connect")
	CHDB_SYM(close_conn, "chdb_close_conn")
	CHDB_SYM(query_n, "chdb_query_n")
	CHDB_SYM(result_buffer, "chdb_result_buffer")
	CHDB_SYM(result_length, "chdb_result_length")
	CHDB_SYM(result_error, "chdb_result_error")
	CHDB_SYM(destroy_result, "chdb_destroy_query_result")
#undef CHDB_SYM
	// Older releases lack it; they leave signals alone anyway.
	*(void **)(&api->set_signal_handlers_enabled) = dlsym(api->lib, "chdb_set_signal_handlers_enabled");
	return NULL;
}

static chdb_conn_t *chdb_call_connect(chdb_api *api, int argc, char **argv) {
	// The Go runtime handles the process' signals; chdb's handlers would
	// replace its own.
	if (api->set_signal_handlers_enabled != NULL) {
		api->set_signal_handlers_enabled(0);
	}
	return api->connect(argc, argv);
}

static void chdb_call_close(chdb_api *api, chdb_conn_t *conn) { api->close_conn(conn); }

static chdb_result_t chdb_call_query(chdb_api *api, chdb_conn_t *conn, const char *q, size_t qlen, const char *f, size_t flen) {
	return api->query_n(*conn, q, qlen, f, flen);
}

static char *chdb_call_buffer(chdb_api *api, chdb_result_t r) { return api->result_buffer(r); }
static size_t chdb_call_length(chdb_api *api, chdb_result_t r) { return api->result_length(r); }
static const char *chdb_call_error(chdb_api *api, chdb_result_t r) { return api->result_error(r); }
static void chdb_call_destroy(chdb_api *api, chdb_result_t r) { api->destroy_result(r); }
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"unsafe"
)

// Path returns where the library is: $NETLENS_CHDB when set, else where
// fetch.sh installs it.
func Path() string {
	if p := os.Getenv("NETLENS_CHDB"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "node_modules", "@chdb", "lib-linux-x64-gnu", "libchdb.so")
}

// The library is loaded once per process and never unloaded: its threads
// outlive a session.
var (
	loadMu sync.Mutex
	api    *C.chdb_api
	loaded string
)

// load opens the library at path, or returns the one already open.
func load(path string) (*C.chdb_api, error) {
	loadMu.Lock()
	defer loadMu.Unlock()
	if api != nil {
		if path != loaded {
			return nil, fmt.Errorf("load %s: %s is already loaded", path, loaded)
		}
		return api, nil
	}
	a := (*C.chdb_api)(C.calloc(1, C.size_t(unsafe.Sizeof(C.chdb_api{}))))
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if msg := C.chdb_load(cpath, a); msg != nil {
		err := fmt.Errorf("load %s: %s", path, C.GoString(msg))
		C.free(unsafe.Pointer(a))
		return nil, err
	}
	api, loaded = a, path
	return api, nil
}

// Session is a connection to an in-memory ClickHouse in this process. It
// runs one query at a time.
type Session struct {
	mu   sync.Mutex
	api  *C.chdb_api
	conn *C.chdb_conn_t
}

// Open loads the library at libPath (see Path) and connects to a new
// in-memory ClickHouse. args are clickhouse-local's options, e.g.
// --config-file=FILE for server settings such as remote_servers; they
// take effect in the first session of the process. A process can have one
// session at a time.
func Open(libPath string, args ...string) (*Session, error) {
	a, err := load(libPath)
	if err != nil {
		return nil, err
	}
	// No --path: nothing is written to disk.
	argv := append([]string{"clickhouse"}, args...)
	cargv := make([]*C.char, len(argv))
	for i, s := range argv {
		cargv[i] = C.CString(s)
		defer C.free(unsafe.Pointer(cargv[i]))
	}
	conn := C.chdb_call_connect(a, C.int(len(cargv)), &cargv[0])
	if conn == nil {
		return nil, fmt.Errorf("chdb %s: connect failed", libPath)
	}
	return &Session{api: a, conn: conn}, nil
}

// ErrClosed is the error of a query on a closed session.
var ErrClosed = errors.New("chdb: session closed")

// Query runs sql and returns its result in format (TabSeparated, JSON,
// CSV, ...; "" for TabSeparated). ClickHouse's error message is the error.
func (s *Session) Query(sql, format string) (string, error) {
	if format == "" {
		format = "TabSeparated"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return "", ErrClosed
	}
	q := C.CString(sql)
	defer C.free(unsafe.Pointer(q))
	f := C.CString(format)
	defer C.free(unsafe.Pointer(f))
	r := C.chdb_call_query(s.api, s.conn, q, C.size_t(len(sql)), f, C.size_t(len(format)))
	if r == nil {
		return "", errors.New("chdb: query returned no result")
	}
	defer C.chdb_call_destroy(s.api, r)
	if msg := C.chdb_call_error(s.api, r); msg != nil {
		return "", errors.New(C.GoString(msg))
	}
	buf, n := C.chdb_call_buffer(s.api, r), C.chdb_call_length(s.api, r)
	if buf == nil || n == 0 {
		return "", nil
	}
	return C.GoStringN(buf, C.int(n)), nil
}

// Close closes the session; the in-memory databases go with it.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	C.chdb_call_close(s.api, s.conn)
	s.conn = nil
	return nil
}

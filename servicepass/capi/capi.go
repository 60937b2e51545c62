// Command capi is the C ABI of the service-password device verifier: the
// mobile facade (package servicepass/mobile) behind C functions, for agents
// written in C, C++, Rust, Swift or Kotlin/Native that link a shared
// library. Build it with
//
//	go build -buildmode=c-shared -o libmdmcredsp.so ./servicepass/capi
//
// which also writes libmdmcredsp.h; docs/servicepass-capi.md documents
// every function, and capi_test.go runs a C program over the vectors.
//
// Every function takes and returns plain C types. A verifier is a handle
// (an opaque nonzero uintptr_t) from mdmcred_sp_open, released with
// mdmcred_sp_close. Results are written into caller-owned structs and
// buffers; nothing is allocated for the caller to free. Text outputs are
// NUL-terminated and truncated to the buffer given.
package main

/*
#include <stdint.h>

// mdmcred_sp_result_t is the outcome of a verification (see
// docs/servicepass-capi.md): outcome is one of the stable result codes
// ("granted", "typo", "bad-mac", ...), NUL-terminated.
typedef struct {
	char outcome[32];
	int32_t granted;
	int32_t actions;
	int32_t key_id;
	int64_t serial;
	int64_t expiry_ms;
	int32_t day_valid;
	int64_t window_end_ms;
	int32_t degraded;
	int32_t clock_reset;
	int32_t not_saved;
	int64_t retry_after_ms;
	char detail[256];
} mdmcred_sp_result_t;

// mdmcred_sp_window_t is the privileged window (see docs/servicepass-capi.md).
typedef struct {
	int32_t active;
	int32_t actions;
	int64_t start_ms;
	int64_t end_ms;
	int32_t revert;
	int64_t ended_ms;
	int32_t state_lost;
	int32_t not_saved;
} mdmcred_sp_window_t;
*/
import "C"

import (
	"runtime/cgo"
	"sync"
	"unsafe"

	"github.com/mdmcred/mdmcred/servicepass/mobile"
)

// verifier is what a handle holds: the facade's verifier and the latest
// window status polled through this handle (for mdmcred_sp_clear_window).
type verifier struct {
	v *mobile.Verifier

	mu     sync.Mutex
	window *mobile.Window
}

func main() {}

// get returns the verifier behind h, or nil for a zero or foreign handle.
func get(h C.uintptr_t) *verifier {
	if h == 0 {
		return nil
	}
	defer func() { _ = recover() }() // cgo.Handle.Value panics on an invalid handle
	v, _ := cgo.Handle(h).Value().(*verifier)
	return v
}

// putString copies s into the C buffer buf of size n, NUL-terminated and
// truncated to fit; it returns len(s) (so a caller can see truncation).
func putString(buf *C.char, n C.int, s string) C.int {
	if buf != nil && n > 0 {
		dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n))
		k := copy(dst[:len(dst)-1], s)
		dst[k] = 0
	}
	return C.int(len(s))
}

// mdmcred_sp_open returns a verifier handle for the provisioning file's
// bytes (prov, prov_len) keeping its state in the file state_path (NULL or
// "": in memory, for tests). On failure it returns 0 and writes the reason
// into err (err_len bytes; err may be NULL).
//
//export mdmcred_sp_open
func mdmcred_sp_open(prov unsafe.Pointer, provLen C.int, statePath *C.char, err *C.char, errLen C.int) C.uintptr_t {
	if prov == nil || provLen <= 0 {
		putString(err, errLen, "mdmcred_sp_open: no provisioning bytes")
		return 0
	}
	path := ""
	if statePath != nil {
		path = C.GoString(statePath)
	}
	v, e := mobile.NewVerifier(C.GoBytes(prov, provLen), path)
	if e != nil {
		putString(err, errLen, e.Error())
		return 0
	}
	return C.uintptr_t(cgo.NewHandle(&verifier{v: v}))
}

// mdmcred_sp_init_state creates the device state at state_path, once, when
// the provisioning file is installed. It returns 0, or -1 with the reason
// in err.
//
//export mdmcred_sp_init_state
func mdmcred_sp_init_state(statePath *C.char, err *C.char, errLen C.int) C.int {
	if statePath == nil {
		putString(err, errLen, "mdmcred_sp_init_state: no state path")
		return -1
	}
	if e := mobile.InitState(C.GoString(statePath)); e != nil {
		putString(err, errLen, e.Error())
		return -1
	}
	return 0
}

// mdmcred_sp_close releases the handle h and its state file. The handle
// must not be used after.
//
//export mdmcred_sp_close
func mdmcred_sp_close(h C.uintptr_t) C.int {
	v := get(h)
	if v == nil {
		return -1
	}
	cgo.Handle(h).Delete()
	if v.v.Close() != nil {
		return -1
	}
	return 0
}

// putResult copies r into out.
func putResult(out *C.mdmcred_sp_result_t, r *mobile.Result) {
	*out = C.mdmcred_sp_result_t{}
	putString(&out.outcome[0], C.int(len(out.outcome)), r.Outcome)
	putString(&out.detail[0], C.int(len(out.detail)), r.Detail)
	out.granted, out.actions, out.key_id = cbool(r.Granted), C.int32_t(r.Actions), C.int32_t(r.KeyID)
	out.serial, out.expiry_ms, out.day_valid = C.int64_t(r.Serial), C.int64_t(r.ExpiryMs), cbool(r.DayValid)
	out.window_end_ms, out.degraded, out.clock_reset = C.int64_t(r.WindowEndMs), cbool(r.Degraded), cbool(r.ClockReset)
	out.not_saved, out.retry_after_ms = cbool(r.NotSaved), C.int64_t(r.RetryAfterMs)
}

func cbool(b bool) C.int32_t {
	if b {
		return 1
	}
	return 0
}

// mdmcred_sp_verify checks the typed code at the wall-clock time now_ms
// (Unix milliseconds) and writes the outcome into out. It returns 0, or -1
// for an invalid handle or NULL argument (out untouched).
//
//export mdmcred_sp_verify
func mdmcred_sp_verify(h C.uintptr_t, code *C.char, nowMs C.int64_t, out *C.mdmcred_sp_result_t) C.int {
	v := get(h)
	if v == nil || code == nil || out == nil {
		return -1
	}
	putResult(out, v.v.Verify(C.GoString(code), int64(nowMs)))
	return 0
}

// mdmcred_sp_new_challenge makes a challenge, replacing any outstanding
// one, at the monotonic reading mono_ms, and writes its display form
// (11 characters) into buf. It returns 0, or -1 with the reason in buf.
//
//export mdmcred_sp_new_challenge
func mdmcred_sp_new_challenge(h C.uintptr_t, monoMs C.int64_t, buf *C.char, bufLen C.int) C.int {
	v := get(h)
	if v == nil {
		return -1
	}
	c, err := v.v.NewChallenge(int64(monoMs))
	if err != nil {
		putString(buf, bufLen, err.Error())
		return -1
	}
	putString(buf, bufLen, c)
	return 0
}

// mdmcred_sp_verify_response checks a response to the outstanding
// challenge at the wall-clock time now_ms and the monotonic reading
// mono_ms, and writes the outcome into out. It returns 0 or -1 as
// mdmcred_sp_verify.
//
//export mdmcred_sp_verify_response
func mdmcred_sp_verify_response(h C.uintptr_t, response *C.char, nowMs, monoMs C.int64_t, out *C.mdmcred_sp_result_t) C.int {
	v := get(h)
	if v == nil || response == nil || out == nil {
		return -1
	}
	putResult(out, v.v.VerifyResponse(C.GoString(response), int64(nowMs), int64(monoMs)))
	return 0
}

// mdmcred_sp_window polls the privileged window at now_ms and writes it
// into out; the handle remembers it for mdmcred_sp_clear_window. It returns
// 0, or -1 when the state cannot be read (or for an invalid handle).
//
//export mdmcred_sp_window
func mdmcred_sp_window(h C.uintptr_t, nowMs C.int64_t, out *C.mdmcred_sp_window_t) C.int {
	v := get(h)
	if v == nil || out == nil {
		return -1
	}
	w, err := v.v.Window(int64(nowMs))
	if err != nil {
		return -1
	}
	v.mu.Lock()
	v.window = w
	v.mu.Unlock()
	*out = C.mdmcred_sp_window_t{
		active: cbool(w.Active), actions: C.int32_t(w.Actions), start_ms: C.int64_t(w.StartMs), end_ms: C.int64_t(w.EndMs),
		revert: C.int32_t(w.Revert), ended_ms: C.int64_t(w.EndedMs), state_lost: cbool(w.StateLost), not_saved: cbool(w.NotSaved),
	}
	return 0
}

// mdmcred_sp_clear_window acknowledges that the agent reverted what the
// last mdmcred_sp_window on this handle reported, and writes the
// acknowledgement code ("done", "window-changed", "not-saved",
// "state-unavailable") into ack. It returns 0, or -1 for an invalid handle.
//
//export mdmcred_sp_clear_window
func mdmcred_sp_clear_window(h C.uintptr_t, ack *C.char, ackLen C.int) C.int {
	v := get(h)
	if v == nil {
		return -1
	}
	v.mu.Lock()
	w := v.window
	v.mu.Unlock()
	putString(ack, ackLen, v.v.ClearWindow(w))
	return 0
}

// mdmcred_sp_use_log writes the use log as JSON (see
// docs/servicepass-capi.md) into buf and returns its full length, which is
// more than buf_len - 1 when it was truncated (call again with a bigger
// buffer); -1 for an invalid handle or an unreadable state.
//
//export mdmcred_sp_use_log
func mdmcred_sp_use_log(h C.uintptr_t, buf *C.char, bufLen C.int) C.int {
	v := get(h)
	if v == nil {
		return -1
	}
	log, err := v.v.UseLog()
	if err != nil {
		return -1
	}
	return putString(buf, bufLen, string(log))
}

// mdmcred_sp_ack_use_log drops the use log entries through sequence number
// through and writes the acknowledgement code into ack. It returns 0, or
// -1 for an invalid handle.
//
//export mdmcred_sp_ack_use_log
func mdmcred_sp_ack_use_log(h C.uintptr_t, through C.int64_t, ack *C.char, ackLen C.int) C.int {
	v := get(h)
	if v == nil {
		return -1
	}
	putString(ack, ackLen, v.v.AckUseLog(int64(through)))
	return 0
}

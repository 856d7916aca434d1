package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// limitServer serves h behind guardConn with short limits on loopback and
// returns its address.
func limitServer(t *testing.T, limits ServerLimits, h http.Handler) string {
	t.Helper()
	a := &App{limits: limits.withDefaults()}
	a.handler = a.guardConn(h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := a.newServer(ctx)
	go srv.Serve(ln)
	t.Cleanup(func() { cancel(); srv.Close() })
	return ln.Addr().String()
}

// bodyReader answers with how many body bytes it read and how reading
// ended.
func bodyReader(got *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		got.Store(n)
		if err != nil {
			http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "read %d", n)
	})
}

// TestGuardConn_SlowBodyIsCutOff: a client that sends its headers and
// then a byte now and then is cut off once ReadTimeout has passed, long
// before its body is complete; without the limit the server would wait
// for all of it.
func TestGuardConn_SlowBodyIsCutOff(t *testing.T) {
	var got atomic.Int64
	addr := limitServer(t, ServerLimits{ReadTimeout: 300 * time.Millisecond}, bodyReader(&got))

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const size = 100
	fmt.Fprintf(conn, "POST /form HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", addr, size)

	// The answer, or the end of the connection, may come at any time.
	answered := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(conn)
		answered <- string(b)
	}()
	sent := 0
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for sent < size {
		select {
		case resp := <-answered:
			if sent >= size {
				t.Fatalf("the server waited for the whole body: %q", resp)
			}
			if strings.Contains(resp, "read 100") {
				t.Fatalf("the handler read the whole body: %q", resp)
			}
			t.Logf("cut off after %d of %d bytes; answer %q", sent, size, firstLine(resp))
			return
		case <-tick.C:
		}
		if _, err := conn.Write([]byte("a")); err != nil {
			t.Logf("cut off after %d of %d bytes: %v", sent, size, err)
			return
		}
		sent++
	}
	t.Fatalf("the server took all %d bytes of a trickled body (handler read %d)", size, got.Load())
}

// TestGuardConn_LargeBodyAtPaceGoesThrough: a body that takes longer
// than ReadTimeout but keeps coming at BodyRate is read to the end.
func TestGuardConn_LargeBodyAtPaceGoesThrough(t *testing.T) {
	var got atomic.Int64
	addr := limitServer(t, ServerLimits{ReadTimeout: 300 * time.Millisecond, BodyRate: 256 << 10}, bodyReader(&got))

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const chunk, chunks = 64 << 10, 12 // 768 KiB at about 640 KiB/s: over a second
	fmt.Fprintf(conn, "POST /upload HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", addr, chunk*chunks)
	buf := make([]byte, chunk)
	for i := range chunks {
		if _, err := conn.Write(buf); err != nil {
			t.Fatalf("chunk %d refused: %v", i, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(b) != fmt.Sprintf("read %d", chunk*chunks) {
		t.Fatalf("answer %d %q, want the whole body read", resp.StatusCode, b)
	}
}

// TestGuardConn_BodyOverMaxIsRefused: no route reads more than MaxBody.
func TestGuardConn_BodyOverMaxIsRefused(t *testing.T) {
	var got atomic.Int64
	addr := limitServer(t, ServerLimits{MaxBody: 1000}, bodyReader(&got))
	resp, err := http.Post("http://"+addr+"/upload", "application/octet-stream", strings.NewReader(strings.Repeat("x", 1001)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || got.Load() != 1000 {
		t.Errorf("status %d after reading %d bytes, want 400 after 1000", resp.StatusCode, got.Load())
	}
}

// TestGuardConn_StreamOutlivesTimeouts: a stream that waits longer than
// ReadTimeout and WriteTimeout between events keeps going, because the
// write deadline is per write and the read deadline ends with the
// headers; a client that stops reading is dropped.
func TestGuardConn_StreamOutlivesTimeouts(t *testing.T) {
	stalled := make(chan error, 1)
	addr := limitServer(t, ServerLimits{ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			rc := http.NewResponseController(w)
			if r.URL.Path == "/flood" {
				// Write until the client, which reads nothing, makes a
				// write wait past its deadline.
				big := []byte(strings.Repeat("data: x\n", 8<<10) + "\n")
				for {
					if _, err := w.Write(big); err != nil {
						stalled <- err
						return
					}
				}
			}
			for i := range 3 {
				select {
				case <-r.Context().Done():
					return
				case <-time.After(400 * time.Millisecond):
				}
				fmt.Fprintf(w, "event: tick\ndata: %d\n\n", i)
				if err := rc.Flush(); err != nil {
					t.Errorf("flush %d: %v", i, err)
					return
				}
			}
		}))

	resp, err := http.Get("http://" + addr + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("stream broke after %q: %v", b, err)
	}
	if n := strings.Count(string(b), "event: tick"); n != 3 {
		t.Errorf("got %d events, want 3:\n%s", n, b)
	}

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /flood HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	select {
	case err := <-stalled:
		if !strings.Contains(err.Error(), "timeout") {
			t.Errorf("stalled write ended with %v, want a timeout", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a write to a client that reads nothing never gave up")
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}

// TestGuardConn_HugeHeadersAreRefused: headers past MaxHeaderBytes get
// 431 without reaching a handler.
func TestGuardConn_HugeHeadersAreRefused(t *testing.T) {
	reached := false
	addr := limitServer(t, ServerLimits{}, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", DefaultServerLimits.MaxHeaderBytes+8<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || reached {
		t.Errorf("status %d, handler reached %v; want 431 and no", resp.StatusCode, reached)
	}
}

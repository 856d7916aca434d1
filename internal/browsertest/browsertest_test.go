package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/staffbot/staffbot/internal/browsertest"
)

// TestWatch checks the collector keeps console errors and uncaught
// exceptions, drops what an ignore function claims, and passes quieter
// messages by.
func TestWatch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>t</title><script>
console.log("just a log");
console.error("kept error");
console.error("ignored error");
setTimeout(() => { throw new Error("thrown") }, 0);
</script>`))
	}))
	t.Cleanup(srv.Close)

	ctx := browsertest.New(t, browsertest.WindowSize(800, 600))
	console := browsertest.Watch(ctx, func(m chromedp.ConsoleMessage) bool {
		return strings.Contains(m.String(), "ignored")
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("open page: %v", err)
	}
	got := console.Errors()
	has := func(part string) bool {
		return slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, part) })
	}
	if !has("kept error") {
		t.Errorf("errors = %q, want the console.error", got)
	}
	if !has("thrown") {
		t.Errorf("errors = %q, want the uncaught exception", got)
	}
	if has("ignored error") || has("just a log") {
		t.Errorf("errors = %q, want neither the ignored error nor the log", got)
	}
}

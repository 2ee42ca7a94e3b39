package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath returns the Chromium to drive. The browser test is skipped
// when there is none, unless CI is set: CI installs Chromium, so there a
// missing browser is a failure, not a reason to pass quietly.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} { // Debian's is /usr/bin/chromium
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI is set: install it (apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium); with CI set this is a failure")
	return ""
}

// newBrowser starts a headless Chromium for the test and returns a context
// for its first tab. The flags keep it from reaching for the network (this
// machine has none, and Chromium stalls on it otherwise) and from touching
// any profile but a fresh one.
func newBrowser(t *testing.T, ctx context.Context, exe string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(900, 700),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc) // runs after the tab's cleanup: the browser exits, then TempDir goes
	tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tab); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return tab
}

// openAndJoin opens the page at url and joins room as nick, waiting until the
// server has accepted the join.
func openAndJoin(url, room, nick string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(url+"/#"+room),
		chromedp.WaitVisible(chromedp.CSS("#join-form")),
		chromedp.Clear(chromedp.CSS("#nick")),
		chromedp.SendKeys(chromedp.CSS("#nick"), nick),
		chromedp.Click(chromedp.CSS("#join")),
		chromedp.WaitVisible(chromedp.CSS("#chat")),
		chromedp.WaitVisible(chromedp.CSS("#log li.joined")),
	)
}

// screenshot saves a PNG of the tab into $CHAT_SCREENSHOT_DIR, if set.
func screenshot(t *testing.T, tab context.Context, name string) {
	dir := os.Getenv("CHAT_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Error(err)
	}
	t.Logf("screenshot: %s", path)
}

// TestBrowserTwoInstances is the end-to-end test: two chat instances, the
// second joining the first's embedded NATS server, one page on each, both
// in one room; what is typed in page one appears in page two.
func TestBrowserTwoInstances(t *testing.T) {
	exe := chromiumPath(t)
	began := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	one := startInstance(t, config{})
	two := startInstance(t, config{NATSURL: one.natsURL})

	page1 := newBrowser(t, ctx, exe)
	page2, cancel2 := chromedp.NewContext(page1) // a second tab
	defer cancel2()
	const room, msg = "e2e-room", "Hello from page one 👋 <b>not bold</b>"

	if err := chromedp.Do(page1, openAndJoin(one.url, room, "ada")); err != nil {
		t.Fatalf("page one: join: %v", err)
	}
	if err := chromedp.Do(page2, openAndJoin(two.url, room, "bob")); err != nil {
		t.Fatalf("page two: join: %v", err)
	}
	// Page one sees bob arrive through NATS: from then on bob's channel
	// receives what page one posts.
	if err := chromedp.Do(page1, chromedp.WaitVisible(chromedp.CSS(`#log li.join[data-nick="bob"]`))); err != nil {
		t.Fatalf("page one: bob's join: %v", err)
	}

	err := chromedp.Do(page1,
		chromedp.SendKeys(chromedp.CSS("#text"), msg),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.WaitVisible(chromedp.CSS("#log li.message.self")),
	)
	if err != nil {
		t.Fatalf("page one: send: %v", err)
	}
	echoed, err := chromedp.Run(page1, chromedp.Text(chromedp.CSS("#log li.message.self .text")))
	if err != nil {
		t.Fatalf("page one: read the echo: %v", err)
	}
	const fromAda = `#log li.message[data-nick="ada"]`
	if err := chromedp.Do(page2, chromedp.WaitVisible(chromedp.CSS(fromAda))); err != nil {
		t.Fatalf("page two: waiting for the message: %v", err)
	}
	got, err := chromedp.Run(page2, chromedp.Text(chromedp.CSS(fromAda+" .text")))
	if err != nil {
		t.Fatalf("page two: read the message: %v", err)
	}
	if echoed != msg || got != msg {
		t.Fatalf("page one shows %q, page two shows %q; want %q", echoed, got, msg)
	}

	// A room name the server refuses is reported on the page.
	page3, cancel3 := chromedp.NewContext(page1)
	defer cancel3()
	err = chromedp.Do(page3,
		chromedp.Navigate(two.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#join-form")),
		// Drop the form's own pattern check, so that the server's is seen.
		chromedp.RemoveAttribute(chromedp.CSS("#room"), "pattern"),
		chromedp.SetValue(chromedp.CSS("#nick"), "cy"),
		chromedp.SetValue(chromedp.CSS("#room"), "Not A Room"),
		chromedp.Click(chromedp.CSS("#join")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
	)
	if err != nil {
		t.Fatalf("page three: %v", err)
	}
	errText, err := chromedp.Run(page3, chromedp.Text(chromedp.CSS("#error")))
	if err != nil {
		t.Fatalf("page three: read the error: %v", err)
	}
	if want := "room name must be"; !strings.Contains(errText, want) {
		t.Errorf("page three shows error %q, want it to say %q", errText, want)
	}

	screenshot(t, page1, "chat-page1")
	screenshot(t, page2, "chat-page2")
	screenshot(t, page3, "chat-page3")
	t.Logf("browser test took %v", time.Since(began).Round(time.Millisecond))
}

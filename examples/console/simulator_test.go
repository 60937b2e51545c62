package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// issueCode issues a code in the console and returns it from the dialog.
func (c *console) issueCode(device string, form url.Values) (code string, body string) {
	c.t.Helper()
	p := c.issue(device, form)
	code = text(p.Body, "code")
	if code == "" {
		c.t.Fatalf("not issued: %v", fieldErrors(p.Body))
	}
	return code, p.Body
}

func TestSimulatorGrantsAndOpensTheWindow(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	code, _ := c.issueCode("dev-do-1", url.Values{"action": {"Unlock", "DisableKiosk", "AllowFactoryReset"}})
	c.clock.Advance(10 * time.Minute)
	// The user types it in lower case with spaces.
	p := c.enter("dev-do-1", strings.ToLower(strings.ReplaceAll(code, "-", " ")))
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Service password accepted") {
		t.Fatalf("not granted: %d %s", p.Status, text(p.Body, "refusal"))
	}
	for _, want := range []string{"<li>Unlock device</li>", "<li>Disable Kiosk</li>", "<li>Allow factory reset</li>",
		"Unlock opens the whole device.", "Disable Kiosk, Allow factory reset will be reverted"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("missing %q", want)
		}
	}
	if got := text(p.Body, "countdown"); got != "60 min 00 s" {
		t.Errorf("countdown %q, want the 60-minute window", got)
	}
	// The page shows the open window later too, then its end and what to revert.
	c.clock.Advance(30 * time.Minute)
	if got := text(c.get("/device/?device=dev-do-1").Body, "countdown"); got != "30 min 00 s" {
		t.Errorf("countdown after 30 min %q", got)
	}
	c.clock.Advance(31 * time.Minute)
	body := c.get("/device/?device=dev-do-1").Body
	if !strings.Contains(body, "Revert now: Disable Kiosk, Allow factory reset.") {
		t.Fatalf("ended window: %s", body[strings.Index(body, `id="window"`):])
	}
	p = c.post("/device/", "/device/window/end", url.Values{"device": {"dev-do-1"}})
	if p.Status != http.StatusOK || strings.Contains(p.Body, `id="window"`) {
		t.Fatalf("window not closed: %d", p.Status)
	}
	if p := c.post("/device/", "/device/window/end", url.Values{"device": {"dev-do-1"}}); p.Status != http.StatusConflict {
		t.Fatalf("closing no window: %d", p.Status)
	}
}

func TestSimulatorCOPEUnlockOpensTheWorkProfile(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	code, _ := c.issueCode("dev-cope-1", url.Values{"action": {"Unlock"}})
	if p := c.enter("dev-cope-1", code); !strings.Contains(p.Body, "Unlock opens the work profile.") {
		t.Fatalf("COPE grant: %s", text(p.Body, "refusal"))
	}
}

func TestSimulatorRefusalsForTheDeviceUser(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	code, _ := c.issueCode("dev-do-1", url.Values{"action": {"Unlock"}})
	other, _ := c.issueCode("dev-cope-1", url.Values{"action": {"Unlock"}})
	short, _ := c.issueCode("dev-do-1", url.Values{"action": {"Unlock"},
		"expires": {c.clock.Now().In(c.zone).Add(10 * time.Minute).Format(localLayout)}})
	typo := []byte(code)
	if typo[3] == 'X' {
		typo[3] = 'Y'
	} else {
		typo[3] = 'X'
	}
	if p := c.enter("dev-do-1", code); p.Status != http.StatusOK {
		t.Fatalf("first use: %s", text(p.Body, "refusal"))
	}
	c.clock.Advance(20 * time.Minute)
	for _, tc := range []struct{ name, device, code, want string }{
		{"typo", "dev-do-1", string(typo), "typing mistake"},
		{"garbage", "dev-do-1", "hello", "typing mistake"},
		{"replay", "dev-do-1", code, "already used"},
		{"wrong device", "dev-do-1", other, "not for this device"},
		{"expired", "dev-do-1", short, "has expired"},
	} {
		p := c.enter(tc.device, tc.code)
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(text(p.Body, "refusal"), tc.want) {
			t.Errorf("%s: %d %q", tc.name, p.Status, text(p.Body, "refusal"))
		}
	}
}

// Codes that fail the MAC lock the device out under the SDK's back-off.
func TestSimulatorLocksOut(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	var locked bool
	for i := range 12 {
		wrong, _ := c.issueCode("dev-cope-1", url.Values{"action": {"Unlock"}}) // genuine, for another device
		p := c.enter("dev-do-1", wrong)
		if strings.Contains(text(p.Body, "refusal"), "Too many wrong service passwords") {
			locked = true
			break
		}
		_ = i
	}
	if !locked {
		t.Fatal("never locked out")
	}
	good, _ := c.issueCode("dev-do-1", url.Values{"action": {"Unlock"}})
	if p := c.enter("dev-do-1", good); !strings.Contains(text(p.Body, "refusal"), "Too many wrong") {
		t.Fatal("a genuine code went through the lockout")
	}
}

func TestSimulatorReadsTheQRCode(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	_, body := c.issueCode("dev-do-1", url.Values{"action": {"Unlock", "DisableKiosk"}, "qr": {"on"}})
	pngBytes := qrPNG(t, body)
	p := c.postFile("/device/", "/device/verify", map[string]string{"device": "dev-do-1"}, "qr", pngBytes)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "<li>Disable Kiosk</li>") {
		t.Fatalf("QR upload: %d %s", p.Status, text(p.Body, "refusal"))
	}

	// A photo: the symbol scaled, offset on a grey background, as a JPEG.
	_, body = c.issueCode("dev-do-1", url.Values{"action": {"Unlock"}, "qr": {"on"}})
	src, err := png.Decode(bytes.NewReader(qrPNG(t, body)))
	if err != nil {
		t.Fatal(err)
	}
	photo := image.NewRGBA(image.Rect(0, 0, 900, 700))
	draw.Draw(photo, photo.Bounds(), image.NewUniform(color.RGBA{180, 180, 170, 255}), image.Point{}, draw.Src)
	sb := src.Bounds()
	for y := range 512 { // scaled to twice the size, nearest neighbour
		for x := range 512 {
			photo.Set(200+x, 120+y, src.At(sb.Min.X+x*sb.Dx()/512, sb.Min.Y+y*sb.Dy()/512))
		}
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, photo, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	p = c.postFile("/device/", "/device/verify", map[string]string{"device": "dev-do-1"}, "qr", jpg.Bytes())
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Service password accepted") {
		t.Fatalf("photo upload: %d %s", p.Status, text(p.Body, "refusal"))
	}

	// Not a picture of a QR code.
	var blank bytes.Buffer
	_ = png.Encode(&blank, image.NewGray(image.Rect(0, 0, 64, 64)))
	p = c.postFile("/device/", "/device/verify", map[string]string{"device": "dev-do-1"}, "qr", blank.Bytes())
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(text(p.Body, "refusal"), "No QR code could be read") {
		t.Fatalf("blank picture: %d %s", p.Status, text(p.Body, "refusal"))
	}
}

// A PNG that claims a huge image is refused before it is decoded.
func TestReadQRRefusesHugePictures(t *testing.T) {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	// Rewrite the IHDR width and height to 100000 x 100000, and its CRC.
	for _, off := range []int{16, 20} {
		raw[off], raw[off+1], raw[off+2], raw[off+3] = 0x00, 0x01, 0x86, 0xa0
	}
	binary.BigEndian.PutUint32(raw[29:], crc32.ChecksumIEEE(raw[12:29]))
	if _, err := readQR(bytes.NewReader(raw)); !errors.Is(err, errPicture) {
		t.Fatalf("huge picture: %v", err)
	}
}

package osversion

import "testing"

var cases = []struct {
	v            string
	major, minor int
	want         bool
}{
	{"11.5", 11, 5, true},
	{"11.5.2", 11, 5, true},
	{"11.4.9", 11, 5, false},
	{"12", 11, 5, true},
	{"11", 11, 5, false},
	{"11.10", 11, 5, true},
	{"10.15.7", 11, 5, false},
	{"9.3", 9, 3, true},
	{"9.2.1", 9, 3, false},
	{"17.4", 9, 3, true},
	{"", 0, 0, false},
	{"11.", 11, 0, false},
	{".5", 0, 5, false},
	{"011.5", 11, 5, false},
	{"+11.5", 11, 5, false},
	{"-1.0", 0, 0, false},
	{"11.5.1.1", 11, 5, false},
	{"1000.0", 11, 5, false},
	{"11.5 ", 11, 5, false},
	{"１１.5", 11, 5, false},
}

func TestAtLeast(t *testing.T) {
	for _, c := range cases {
		if got := AtLeast(c.v, c.major, c.minor); got != c.want {
			t.Errorf("AtLeast(%q, %d, %d) = %v", c.v, c.major, c.minor, got)
		}
	}
}

// FuzzAtLeast: no input panics, and a version that passes a minimum passes
// every lower one.
func FuzzAtLeast(f *testing.F) {
	for _, c := range cases {
		f.Add(c.v, c.major, c.minor)
	}
	f.Fuzz(func(t *testing.T, v string, major, minor int) {
		if AtLeast(v, major, minor) && major > 0 && !AtLeast(v, major-1, minor) {
			t.Fatalf("%q passes %d.%d but not %d.%d", v, major, minor, major-1, minor)
		}
	})
}

package bindtest

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/mdmcred/mdmcred/internal/citest"
	_ "github.com/mdmcred/mdmcred/servicepass/mobile" // the package gobind binds, a requirement of this module
)

const facade = "github.com/mdmcred/mdmcred/servicepass/mobile"

// androidContext stands in for android.content.Context, the one Android
// class the generated go/Seq.java names (in Seq.setContext); nothing else
// of Android is needed to compile the bindings.
const androidContext = `package android.content;
public class Context {}
`

// agentJava is the shape of an Android agent's calls: it must compile
// against the generated classes (it is not run: that needs the Go library
// built for Android).
const agentJava = `package agent;

import mobile.DeviceMAC;
import mobile.Mobile;
import mobile.Provisioning;
import mobile.Result;
import mobile.Verifier;
import mobile.Window;

public final class Agent {
	// Keystore computes the MACs; on Android, a javax.crypto.Mac over a
	// key in AndroidKeyStore (this stand-in keeps the bytes in memory).
	static final class Keystore implements DeviceMAC {
		private final java.util.Map<Integer, byte[]> keys = new java.util.HashMap<>();
		public byte[] mac(int keyID, byte[] msg) throws Exception {
			javax.crypto.Mac m = javax.crypto.Mac.getInstance("HmacSHA256");
			m.init(new javax.crypto.spec.SecretKeySpec(keys.get(keyID), "HmacSHA256"));
			return m.doFinal(msg);
		}
	}

	public static Verifier held(byte[] provisioning, String statePath) throws Exception {
		Provisioning p = Mobile.parseProvisioning(provisioning);
		Keystore ks = new Keystore();
		for (byte id : p.keyIDs()) {
			ks.keys.put((int) id & 0xff, p.key((int) id & 0xff));
		}
		return Mobile.newHeldVerifier(p.deviceID(), p.mode(), p.zone(), p.keyIDs(), statePath, ks);
	}

	public static String verify(byte[] provisioning, String statePath, String code) throws Exception {
		Verifier v = Mobile.newVerifier(provisioning, statePath);
		try {
			Result r = v.verify(code, System.currentTimeMillis());
			if (r.getOutcome().equals(Mobile.OutcomeGranted)) {
				long windowEnd = r.getWindowEndMs();
				int actions = r.getActions();
				boolean report = r.getDegraded() || r.getNotSaved();
			}
			String challenge = v.newChallenge(System.nanoTime() / 1000000);
			Result rr = v.verifyResponse("XXXX-XXXX-XXXX-XXXX", System.currentTimeMillis(), System.nanoTime() / 1000000);
			Window w = v.window(System.currentTimeMillis());
			if (w.getStateLost() || w.getRevert() != 0) {
				String ack = v.clearWindow(w);
			}
			byte[] log = v.useLog();
			String ack = v.ackUseLog(0L);
			return r.getOutcome();
		} finally {
			v.close();
		}
	}
}
`

// TestGobind runs gobind over the facade for Go, Java and Objective-C,
// finds no skipped symbol and every exported name of the facade in the
// Java, and compiles the Java with javac.
func TestGobind(t *testing.T) {
	javac, err := exec.LookPath("javac")
	if err != nil {
		citest.Missing(t, "javac", "install a JDK (apt-get install default-jdk-headless)")
	}
	dir := t.TempDir()
	gobind := filepath.Join(dir, "gobind")
	run(t, ".", "go", "build", "-o", gobind, "golang.org/x/mobile/cmd/gobind")
	out := filepath.Join(dir, "out")
	// gobind runs the go command itself, on this module (which requires
	// golang.org/x/mobile for the generated Go's imports).
	run(t, ".", gobind, "-lang=go,java,objc", "-outdir", out, facade)

	files := map[string]string{}
	err = filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(out, path)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"java/mobile/Mobile.java", "java/go/Seq.java", "src/gobind/Mobile.objc.h", "src/gobind/go_mobilemain.go"} {
		if _, ok := files[want]; !ok {
			t.Fatalf("gobind wrote no %s; wrote %d files", want, len(files))
		}
	}
	// gobind marks every symbol it cannot bind with a "skipped" comment
	// (golang.org/x/mobile/bind: gengo.go, genjava.go, genobjc.go).
	for name, text := range files {
		for i, line := range strings.Split(text, "\n") {
			if strings.Contains(strings.ToLower(line), "skipped") {
				t.Errorf("%s:%d: %s", name, i+1, strings.TrimSpace(line))
			}
		}
	}
	checkNames(t, files)

	// javac: the generated Java, the Context stand-in and the agent.
	src := []string{}
	for name := range files {
		if strings.HasSuffix(name, ".java") {
			src = append(src, filepath.Join(out, name))
		}
	}
	for name, text := range map[string]string{"android/content/Context.java": androidContext, "agent/Agent.java": agentJava} {
		p := filepath.Join(dir, "extra", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		src = append(src, p)
	}
	classes := filepath.Join(dir, "classes")
	run(t, ".", javac, append([]string{"-Xlint:none", "-d", classes}, src...)...)
	for _, c := range []string{"mobile/Mobile.class", "mobile/Verifier.class", "mobile/Result.class", "mobile/Window.class",
		"mobile/DeviceMAC.class", "mobile/Provisioning.class", "agent/Agent.class", "agent/Agent$Keystore.class"} {
		if _, err := os.Stat(filepath.Join(classes, c)); err != nil {
			t.Errorf("javac wrote no %s", c)
		}
	}
}

// checkNames finds every exported name of the facade in the generated
// Java: functions and constants in Mobile.java, types in their own class,
// methods as lower-case-first methods and fields as getters.
func checkNames(t *testing.T, files map[string]string) {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob("../*.go")
	if err != nil {
		t.Fatal(err)
	}
	var parsed []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
	}
	if len(parsed) == 0 {
		t.Fatal("no Go files in ..")
	}
	class := func(name string) string {
		text, ok := files["java/mobile/"+name+".java"]
		if !ok {
			t.Errorf("no Java class for %s", name)
		}
		return text
	}
	has := func(where, text, what string) {
		if !strings.Contains(text, what) {
			t.Errorf("%s: no %q", where, what)
		}
	}
	n := 0
	for _, f := range parsed {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				n++
				if d.Recv == nil {
					has("Mobile.java", files["java/mobile/Mobile.java"], " "+lowerFirst(d.Name.Name)+"(")
					continue
				}
				recv := d.Recv.List[0].Type
				if s, ok := recv.(*ast.StarExpr); ok {
					recv = s.X
				}
				typ := recv.(*ast.Ident).Name
				if !ast.IsExported(typ) {
					n-- // a method of an unexported type is not bound
					continue
				}
				has(typ+".java", class(typ), " "+lowerFirst(d.Name.Name)+"(")
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, id := range s.Names {
							if id.IsExported() {
								n++
								has("Mobile.java", files["java/mobile/Mobile.java"], " "+id.Name+" = ")
							}
						}
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						n++
						text := class(s.Name.Name)
						st, ok := s.Type.(*ast.StructType)
						if !ok {
							continue
						}
						for _, fld := range st.Fields.List {
							for _, id := range fld.Names {
								if id.IsExported() {
									n++
									has(s.Name.Name+".java", text, " get"+id.Name+"()")
								}
							}
						}
					}
				}
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d exported names found in the facade", n)
	}
	t.Logf("%d exported names of the facade bound", n)
}

func lowerFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[size:]
}

// run runs a command in dir and fails t with its output if it fails.
func run(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out.String())
	}
}

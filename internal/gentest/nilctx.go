package gentest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

var contextType = reflect.TypeFor[context.Context]()

// CheckNilContext calls, with a nil context and zero values for the other
// arguments, every function value of an unnamed type in subjects (a package
// function such as otp.Purge) and every exported method of every other
// value in subjects (a named func type such as a MailerFunc included), whose
// first parameter is a context.Context, and
// fails unless each returns an error matching want without panicking. It
// returns how many calls it made, so a test can check it reached them all.
func CheckNilContext(t *testing.T, want error, subjects ...any) int {
	t.Helper()
	n := 0
	for _, s := range subjects {
		v := reflect.ValueOf(s)
		if v.Kind() == reflect.Func && v.Type().Name() == "" {
			n += callNil(t, fmt.Sprintf("%T", s), v, want)
			continue
		}
		for i := range v.NumMethod() {
			name := fmt.Sprintf("%T.%s", s, v.Type().Method(i).Name)
			n += callNil(t, name, v.Method(i), want)
		}
	}
	return n
}

func callNil(t *testing.T, name string, f reflect.Value, want error) (n int) {
	t.Helper()
	ft := f.Type()
	if ft.NumIn() == 0 || ft.In(0) != contextType {
		return 0
	}
	args := make([]reflect.Value, ft.NumIn())
	for i := range args {
		args[i] = reflect.Zero(ft.In(i))
	}
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s(nil, ...) panicked: %v", name, r)
		}
	}()
	var out []reflect.Value
	if ft.IsVariadic() {
		out = f.CallSlice(args)
	} else {
		out = f.Call(args)
	}
	if len(out) == 0 {
		t.Errorf("%s returns no error", name)
		return 1
	}
	err, _ := out[len(out)-1].Interface().(error)
	if !errors.Is(err, want) {
		t.Errorf("%s(nil, ...) = %v, want %v", name, err, want)
	}
	return 1
}

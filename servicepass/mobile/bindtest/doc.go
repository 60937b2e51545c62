// Package bindtest checks that gomobile's gobind binds the mobile facade
// (github.com/mdmcred/mdmcred/servicepass/mobile) whole, for Java and
// Objective-C, and that javac compiles the Java it generates together with
// a small agent that calls it. It is a nested module so that the facade's
// users never download golang.org/x/mobile; it holds no code but its test.
package bindtest

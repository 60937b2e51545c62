// Package benchmarks compares mdmcred with peer libraries side by side, in
// one run. It is a separate module so that users of mdmcred never download
// the peers.
package benchmarks

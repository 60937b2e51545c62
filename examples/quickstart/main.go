// Command quickstart walks through the SDK's flows with in-memory stores.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run() error {
	fmt.Println("mdmcred quickstart")
	return nil
}

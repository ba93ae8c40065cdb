//go:build !unix

package input

import "os"

// openStreamFile opens the stream at path; standard input is read as it is.
func openStreamFile(path string) (*os.File, error) {
	if path == Stdin {
		return os.Stdin, nil
	}
	return os.Open(path)
}

// readable says there is something to read: the first read waits.
func readable(uintptr) bool { return true }

//go:build !(linux && (amd64 || arm64))

package dataset

import "os"

// startWriteback does nothing where the kernel offers no way to start
// writing a file's pages without waiting; the fsync at commit writes them.
func startWriteback(*os.File) {}

// Command netlens turns network measurement data into answers.
package main

import (
	"os"

	"github.com/netlens/netlens/internal/cli"
)

func main() { os.Exit(int(cli.Main())) }

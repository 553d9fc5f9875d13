"""One plain function per CLI command: takes parsed options and streams, returns an exit code."""

"""The command line: parse arguments, call the engine, render results. No engine logic lives here."""

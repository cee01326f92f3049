"""The `ipt` command: a thin adapter over engine (and web for `serve`/`demo`)."""

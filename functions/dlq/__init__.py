"""Dead letters: a task whose message kept failing ends `failed`/`server_error`."""

"""The GPU worker: long-polls the task queue and runs the swap engine (`python -m worker`)."""
